"""`python -m services.settlement worker -l warn`: the faust worker CLI (see `faust --help`)."""

from contracts.runtime import faust_app
from services.settlement.app import app, settings

if __name__ == "__main__":
    faust_app.run(app, settings)
