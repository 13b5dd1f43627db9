"""The pages people use: till, producer portal, village operator pages, province dashboard.

A client of the services, not an owner of data: it serves the pages and passes the browser's calls,
with the user's own token, to the services (see `proxy`).
"""
