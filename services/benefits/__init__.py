"""Benefits beyond medical costs (issue 19): for now only the pure domain (`domain/`).

Not a running service yet: no `__main__`, adapters, topics or tables, so nothing discovers
it (infra/migrate.py SERVICES, contracts/topics.py). docs/architecture.md "Benefits
(issue 19): the pure core" says why it is a fifth service.
"""
