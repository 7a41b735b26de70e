"""The staff console (issue 20): server-rendered pages for agency staff, in Chinese.

Its own process (`python -m console`), not a service: it owns no events and no tables.
It reads through the services' HTTP APIs with the signed-in person's token and acts only
by sending the same `POST /commands` any client sends; the services decide and enforce.
"""
