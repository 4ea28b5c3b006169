"""The visitors' pages: the help centre (search, topics, the question form), the articles and the
status page of a request."""
