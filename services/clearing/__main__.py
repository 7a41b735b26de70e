"""`python -m services.clearing worker -l warn`: the faust worker CLI (see `faust --help`).

A worker starts faust only once it holds the ledger lease (`adapters/lease.py`): one active
clearing worker, the others stand by."""

import sys

from contracts.runtime import faust_app, startup

with startup.refusal("clearing"):  # a configuration error: one line and exit 2, no traceback
    from services.clearing.adapters import lease
    from services.clearing.app import app, settings

if __name__ == "__main__":
    if "worker" in sys.argv[1:]:  # not for `--help` and faust's other commands
        lease.hold(settings.database_url, settings.topic_prefix, app.conf.web_host,
                   app.conf.web_port)
    faust_app.run(app, settings)
