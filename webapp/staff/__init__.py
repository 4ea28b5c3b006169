"""The staff's pages, behind a login: signing in, the operators' console, the ticket desk, the
leads' reports and board, the editors' suggestions and the admins' operators and tokens."""
