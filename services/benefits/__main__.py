"""`python -m services.benefits worker -l warn`: the faust worker CLI (see `faust --help`)."""

from contracts.runtime import faust_app, startup

with startup.refusal("benefits"):  # a configuration error: one line and exit 2, no traceback
    from services.benefits.app import app, settings

if __name__ == "__main__":
    faust_app.run(app, settings)
