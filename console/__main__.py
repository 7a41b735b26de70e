"""`python -m console [--port P]`: serve the staff console (default port 18090).

The services' URLs come from `WIC_CONSOLE_<SERVICE>_URL` (defaults 127.0.0.1:18081…18085);
sign-in uses the local identity provider's staff directory (`wic users add … --password`).
"""

from __future__ import annotations

import argparse
import os

from aiohttp import web

from console.app import make_app
from console.backend import urls_from_environment

DEFAULT_PORT = 18090


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m console", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("WIC_CONSOLE_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int,
                        default=int(os.environ.get("WIC_CONSOLE_PORT", DEFAULT_PORT)))
    args = parser.parse_args()
    urls = urls_from_environment()
    print(f"console: http://{args.host}:{args.port} (services: "
          + ", ".join(f"{k} {v}" for k, v in urls.items()) + ")", flush=True)
    web.run_app(make_app(urls), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
