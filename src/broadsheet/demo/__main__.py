"""``python -m broadsheet.demo [port]``: serve the demo network until interrupted."""

from __future__ import annotations

import sys
import time

from .network import DEFAULT_PORT, DemoNetwork


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    port = int(args[0]) if args else DEFAULT_PORT
    with DemoNetwork(port=port) as network:
        print(f"Demo publisher network at {network.base_url}/ "
              f"({len(network.articles())} articles)")
        for feed in network.feeds():
            print(f"  {feed.publisher:22} {feed.format:9} {feed.url}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
