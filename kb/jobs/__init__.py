"""`kb worker`: scheduled work, run out of the web process. registry.py (the jobs: name, interval,
function), locks.py (one runner per job across workers and hosts), runner.py (the schedule: a thread
per job, standing by while another worker holds its lock)."""
