"""`python -m services.settlement worker -l warn`: the faust worker CLI (see `faust --help`)."""

from contracts.runtime import faust_app, startup

with startup.refusal("settlement"):  # a configuration error: one line and exit 2, no traceback
    from services.settlement.app import app, settings

if __name__ == "__main__":
    faust_app.run(app, settings)
