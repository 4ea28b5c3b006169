"""The support desk: tickets, operators, queues, assignment and escalation, reports, working hours.

Imports nothing from `kb.search`; the duplicate check gets its encoder from whoever builds the desk.
"""
