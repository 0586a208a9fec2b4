"""The command line's first request to CDF, sent while Dagster loads.

Loading Dagster and the pipeline takes a few seconds of CPU before the run's own first request.
The command checks the credentials and access to the project (one token request and one small
list request) in a thread meanwhile, so a wrong secret, a missing capability or an unreachable
CDF is reported as soon as the imports are done, and no run starts for it. When the check
passed, the run does not send the same requests again; when it could not tell (an error that is
not CDF's answer), the run checks on its own and reports through Dagster.
"""

from __future__ import annotations

import asyncio
import threading

from cdf_client.config import CdfConfig
from cdf_client.errors import CdfError


class AccessCheck:
    """`WorkflowsClient.check_access` for one project, in a thread started at construction."""

    def __init__(self, cdf: CdfConfig) -> None:
        self.error: CdfError | None = None
        # True only when CDF answered both requests: the run may then skip its own check.
        self.passed = False
        self._thread = threading.Thread(
            target=self._run, args=(cdf,), daemon=True, name="cdf-access-check"
        )
        self._thread.start()

    def _run(self, cdf: CdfConfig) -> None:
        from cdf_client.client import WorkflowsClient

        async def check() -> None:
            async with WorkflowsClient(cdf) as client:
                await client.check_access()

        try:
            asyncio.run(check())
        except CdfError as exc:
            self.error = exc
        except Exception:  # anything else: the run's own check reports it
            return
        else:
            self.passed = True

    def wait(self) -> CdfError | None:
        """The check's error, or None when CDF can be read."""
        self._thread.join()
        return self.error
