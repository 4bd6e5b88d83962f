"""The nemesis: one seeded thread that puts the standbys in faults, one at a time, and records each window.

The primary is never faulted: every request has a database that answers, so a 5xx is the site's
fault. A window lasts from the injection until the standby is healed and has replayed all the
primary had then, so "outside every window" means every standby is streaming and current. Near the
end one standby is promoted and stays promoted: the site must stop reading it.
"""

import time

from .history import Window

FAULTS = ("delay", "pause", "cut", "stop")
HOLD = (1.0, 6.0)  # seconds a fault stays in place: sometimes past DB_REPLICA_MAX_LAG (3 s), sometimes not
GAP = (1.0, 3.0)  # quiet seconds between two faults
LEAD = 2.0  # quiet seconds before the first fault: the workers learn the standbys' state
CATCH_UP_WITHIN = 20  # seconds a healed standby may take to replay what it missed


class Nemesis:
    """Fault the cluster's standbys from now until promote_at, then promote one of them."""

    def __init__(self, cluster, rng, history, *, promote_at, stop, log=print):
        self.cluster, self.rng, self.history, self.stop, self.log = cluster, rng, history, stop, log
        self.promote_at = promote_at
        self.errors = []  # what went wrong in the harness itself: the run proves nothing then

    def run(self):
        try:
            self.stop.wait(LEAD)
            kinds = []
            while not self.stop.is_set() and time.monotonic() + HOLD[1] < self.promote_at:
                if not kinds:  # every kind once per round, in a seeded order: a short run still sees most
                    kinds = self.rng.sample(FAULTS, len(FAULTS))
                standby = self.rng.randrange(len(self.cluster.standby_ports))
                self.fault(kinds.pop(), standby, self.rng.uniform(*HOLD))
                self.stop.wait(self.rng.uniform(*GAP))
            if not self.stop.wait(max(0.0, self.promote_at - time.monotonic())):
                self.promote(self.rng.randrange(len(self.cluster.standby_ports)))
        except Exception as exc:  # reported, and the run fails on it
            self.errors.append(repr(exc))
            self.stop.set()

    def fault(self, kind, standby, hold):
        """Inject one fault, hold it, heal it, wait for the standby to catch up; record the window."""
        cluster, detail = self.cluster, ""
        start = time.monotonic()
        if kind == "delay":
            delay = round(self.rng.uniform(0.2, 2.0), 1)
            cluster.delay_replay(delay, standby=standby)
            detail = f"recovery_min_apply_delay {delay} s"
        else:
            {"pause": cluster.pause_replay, "cut": cluster.cut_streaming, "stop": cluster.stop_standby}[kind](standby)
        ready = time.monotonic()
        try:
            self.stop.wait(hold)
        finally:
            if kind == "delay":
                cluster.delay_replay(0, standby=standby)
            else:
                heal = {"pause": cluster.resume_replay, "cut": cluster.restore_streaming, "stop": cluster.start_standby}
                heal[kind](standby)
        if not self.stop.is_set() and not cluster.replayed(standby, CATCH_UP_WITHIN):
            raise RuntimeError(f"standby {standby} did not catch up within {CATCH_UP_WITHIN} s after {kind}")
        window = Window(kind, standby, start, ready, time.monotonic(), detail)
        self.history.fault(window)
        self.log(self.line(window))

    def promote(self, standby):
        start = time.monotonic()
        self.cluster.promote(standby)
        window = Window("promote", standby, start, time.monotonic(), detail="pg_promote(): never healed")
        self.history.fault(window)
        self.log(self.line(window))

    def line(self, window):
        began = window.start - self.history.started
        span = "" if window.kind == "promote" else f" to {window.end - self.history.started:.1f} s"
        detail = f" ({window.detail})" if window.detail else ""
        return f"  {began:6.1f} s{span}: {window.kind} standby {window.standby}{detail}"
