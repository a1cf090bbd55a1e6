"""The viewer embedded in host apps: the Zendesk ticket sidebar and a Pipedrive panel.

Both hosts frame us cross-site, where browsers block third-party cookies. So the entry checks
the host's signed token (`hosts`), then hands the page our own short-lived token (`tokens`),
which htmx sends as `Authorization: Bearer` on every request and `agents.auth.resolve_agent`
accepts in place of a session. Nothing on this path sets a cookie.
"""
