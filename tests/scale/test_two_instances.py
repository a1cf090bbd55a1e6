"""Two app instances sharing one PostgreSQL database, one Redis and one upstream key.

A sandbox upstream runs in its own process with 50 ms of injected latency; two instances in
the production shape (SANDBOX and DEBUG off, gunicorn gthread) call it, each on its own port,
with the client's token bucket shared through Redis. Twenty-five agents, created in the
shared database, sign in through the sign-in form (a password check costs half a second of
CPU: fifty would be a fifth of the test) and ask both instances for the panels a profile
page loads, from fifty browser tabs at once. The agents' own allowance (AGENT_RATE, tested
in tests/viewer/test_agent_limits.py) is raised out of the way.

The bucket is set far below the real key's 100/s (10/s, 20 at once) so that a burst of
panel requests outruns it within a few seconds: the point is that it holds when it must.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.benchmarks.servers import (
    PAGE_PARTS,
    Deployment,
    Server,
    Upstream,
    burst,
    busiest_second,
    deployment,
    page_part,
    start_upstream,
)

pytestmark = [pytest.mark.slow, pytest.mark.redis]

LATENCY_MS = 50
RATE, BURST = 10, 20
AGENTS = 25
TABS = 50
# A dozen upstream calls each when first shown: over ten seconds of the bucket's rate.
CUSTOMERS = 12


@dataclass
class Team:
    deployment: Deployment
    refs: list[str]  # the customers the burst asks for: more than the bucket serves at once
    new_ref: str  # a customer nobody has asked for

    @property
    def upstream(self) -> Upstream:
        return self.deployment.upstream

    @property
    def instances(self) -> list[Server]:
        return self.deployment.instances

    @property
    def agents(self) -> list[requests.Session]:
        return self.deployment.agents


@pytest.fixture(scope="module")
def team() -> Iterator[Team]:
    from django.conf import settings

    workdir = Path(tempfile.mkdtemp(prefix="pv-two-instances-"))
    upstream = None
    try:
        upstream = start_upstream(workdir, latency_ms=LATENCY_MS, profiles=CUSTOMERS + 1)
        refs = [f"id:{profile['id']}" for profile in upstream.profiles(CUSTOMERS + 1)]
        with deployment(
            upstream,
            instances=2,
            agents=AGENTS,
            redis_url=settings.TEST_REDIS_URL,
            INTILERY_RATE_LIMIT=RATE,
            INTILERY_RATE_BURST=BURST,
            AGENT_RATE=1_000_000,
            AGENT_BURST=1_000_000,
        ) as deployed:
            yield Team(deployed, refs[:-1], refs[-1])
    finally:
        if upstream is not None:
            upstream.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def test_twenty_agents_opening_a_new_profile_cause_one_upstream_call_per_endpoint(
    team: Team,
) -> None:
    time.sleep(BURST / RATE + 0.5)  # a full bucket, whatever ran before
    upstream = team.upstream
    upstream.log.skip()
    started = time.monotonic() + 0.2
    outcomes: list[str] = []

    def open_profile(index: int) -> None:
        # Twenty agents, spread over one second, half on each instance; each page asks for
        # its parts side by side, as the browser does.
        time.sleep(max(0.0, started + index * 0.045 - time.monotonic()))
        agent, instance = team.agents[index], team.instances[index % 2]
        with ThreadPoolExecutor(max_workers=len(PAGE_PARTS)) as parts:
            outcomes.extend(
                parts.map(
                    lambda part: page_part(agent, instance, part, team.new_ref)[0], PAGE_PARTS
                )
            )

    agents = [threading.Thread(target=open_profile, args=(i,)) for i in range(20)]
    for agent in agents:
        agent.start()
    for agent in agents:
        agent.join()

    profile_id = team.new_ref.removeprefix("id:")
    calls = Counter(a.path for a in upstream.log.new() if profile_id in a.path)
    assert Counter(outcomes) == {"ok": 20 * len(PAGE_PARTS)}
    repeated = {path: count for path, count in calls.items() if count > 1}
    assert not repeated, f"fetched more than once across both instances: {repeated}"
    endpoints = {path.split("?")[0].rsplit("/", 1)[1] for path in calls}
    assert endpoints >= {"meta", "events"}, calls


def test_a_burst_across_both_instances_stays_within_the_shared_bucket_and_agents_see_only_busy(
    team: Team,
) -> None:
    result = burst(team.deployment, team.refs, total=2000, clients=TABS)

    seen = result.outcomes
    assert sum(seen.values()) == 2000
    assert set(seen) <= {"ok", "busy"}, seen
    allowance = BURST + RATE  # the most a full bucket lets through in any one second
    busiest, _ = busiest_second(result.arrivals)
    # The burst asked for more than one second's allowance: the bucket had to pace it.
    assert len(result.arrivals) > allowance, (len(result.arrivals), seen)
    assert busiest <= allowance, f"{busiest} upstream requests in one second"
    assert len(result.arrivals) <= BURST + RATE * (result.seconds + 1)
    print(
        f"\n2000 panel requests in {result.seconds:.1f} s: {dict(seen)}; upstream "
        f"{len(result.arrivals)} requests, busiest second {busiest} (allowance {allowance})"
    )
