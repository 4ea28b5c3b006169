"""The product put together: services.py (the parts built from the settings, shared by the web app,
the `kb` command and the worker), insights.py (the leads' report, joining analytics and the desk)."""
