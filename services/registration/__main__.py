"""`python -m services.registration worker -l warn`: the faust worker CLI (see `faust --help`)."""

from contracts.runtime import faust_app
from services.registration.app import app, settings

if __name__ == "__main__":
    faust_app.run(app, settings)
