"""The plumbing every part of the web app shares: who is asking and may they (auth), the one error
shape, the security headers, the interface language, rate limits, JSON input, the forms' checks,
an article as the pages show it, a request's status link, the query log and the services. It
imports none of the parts that use it."""
