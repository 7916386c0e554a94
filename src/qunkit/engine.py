"""Run a per-group analysis over the scoped groups, one group at a time, in parallel.

Every analysis is a function of one group's messages and members (the
``qunkit.analysis`` functions never mix groups), so a run never needs the whole
store in memory: each task reads ONE group (only the columns the analysis
uses), derives its members, calls the task function and returns that group's
rows.  Memory is bounded by the largest group times the number of workers, not
by the store, and time grows with the messages, not groups x messages.

Two passes:

1. the default ``as_of`` -- the scope's newest message across groups -- is the
   maximum of each group's newest in-scope message (a read of ``ts`` and
   ``chat_type`` only, in threads); it also gives each group's in-scope size,
   so empty groups are skipped and big ones start first;
2. the task per group, with that one ``as_of``.

Small groups are analysed together: a task marked ``batched(split)`` gets
several groups in one frame (up to ``BATCH_ROWS`` messages; a bigger group
alone) and ``split`` cuts its result back into one result per group.  The
analysis functions never mix groups, so the rows are the same; what changes is
the fixed cost of every pandas call, paid once per batch instead of once per
group (a store of thousands of 10,000-message groups spent most of its time
there).  Memory is then bounded by ``max(largest group, BATCH_ROWS)`` times
the workers.  The result cache stays per group: only the groups that missed it
are batched, so one changed group recomputes that group alone.

Engines: ``local`` (a process pool of ``jobs`` workers; ``jobs=1``, or a small
scope, runs in this process) and ``dask`` (``client.map`` on a
dask.distributed cluster: the workers open the store path themselves, so it
must be on storage they share, and each needs the same qunkit version
installed).  Results come back in the store's group order whatever finished
first, so every engine returns the same rows.

A task marked ``reads_text_flags`` (it computes ``text_features``) gets the stored per-text flags as
columns of its messages (``text_features.STORED_FLAGS``, read from the facts by msg_key,
``derived.stored_text_flags``) when the store keeps derived tables, its groups are fresh and the run
uses the built-in lexicon (no ``lexicon`` option): then no text is scanned again.  A task marked
``reads_features`` gets, on the same conditions and when the scope kept every message of its groups,
the groups' stored ``Features`` (``GroupInput.features``, ``derived.stored_features``) and computes no
features at all.  Otherwise it reads exactly what it always did; the results are the same either way.

Results are reused between runs (``qunkit.resultcache``): a group whose data,
scope, options and qunkit's code are unchanged is not computed again, in either
pass; ``over_groups`` does the same for a step over all groups' results (roles
scored across groups).  ``Engine(cache=False)``, ``--no-cache`` or
``QUNKIT_NO_CACHE=1`` turn it off.
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import derived
from .analysis.scope import Scope
from .derived import enabled as derived_enabled
from .errors import StoreError, UsageProblem
from .resultcache import ResultCache, disabled_by_env, task_name
from .schema import MESSAGES
from .store import Store
from .vocabulary import ENGINES

# columns no analysis reads (import bookkeeping): never loaded by a run
_UNUSED = {"msg_key", "source_file", "source_format"}
ANALYSIS_COLUMNS: tuple[str, ...] = tuple(c for c in MESSAGES.names if c not in _UNUSED)
# what stored features make unnecessary to read: neither the scope, the roster attribution, the identity
# merges nor ``stored_features.assemble`` looks at them (``reads_features(needs=...)``)
HEAVY_COLUMNS = ("text", "mentions", "reply_to", "msg_id")
# below this many messages in scope a process pool costs more (start-up, pickling) than it saves
POOL_MIN_ROWS = 200_000
POOL_MIN_GROUPS = 32      # the same for a map without sizes (``map_groups``)
BATCH_ROWS = 250_000      # messages one task of a ``batched`` analysis reads at most (bigger groups: alone)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Engine:
    """How a run is executed: ``kind`` local|dask, ``jobs`` workers (None: the cores), a dask
    ``scheduler`` address (None: a local dask cluster of ``jobs`` workers); ``cache``: reuse per-group
    results of earlier runs whose inputs are unchanged (``qunkit.resultcache``; off with --no-cache or
    ``QUNKIT_NO_CACHE=1``)."""

    kind: str = "local"
    jobs: int | None = None
    scheduler: str | None = None
    cache: bool = True

    def workers(self) -> int:
        return max(1, self.jobs or os.cpu_count() or 1)


Split = Callable[[Any, list[str]], dict[str, Any]]


def batched(split: Split) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a per-group task as one that may get several groups at once (see the module docstring):
    ``split(result, group_ids)`` returns each of those groups' result, as the task would have
    returned it for that group alone.  A batched task must not read ``GroupInput.key``/``meta``
    (for a batch they are its first group's)."""
    def mark(task: Callable[..., Any]) -> Callable[..., Any]:
        task.split_groups = split   # type: ignore[attr-defined]
        return task
    return mark


def own_as_of(task: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a ``batched`` task that reads each group's own moment from ``GroupInput.own_as_of``: with
    ``Scope.at_group_end`` its groups still share batches (each group's as_of is its newest in-scope
    message, so the batch's messages in scope are each group's own; only the moment differs).  Without
    the mark such groups run one by one (~0.3 s each for a small group: 60 groups 19 s against 4.6 s)."""
    task.own_as_of = True   # type: ignore[attr-defined]
    return task


def reads_text_flags(task: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a per-group task whose features may use the facts' stored text flags (module docstring)."""
    task.reads_text_flags = True   # type: ignore[attr-defined]
    return task


def reads_features(task: Callable[..., Any] | None = None, *, needs: Iterable[str] | None = None) -> Any:
    """Mark a per-group task that computes ``text_features`` of its messages at ``as_of`` with the built-in
    lexicon only through ``GroupInput.features`` when set (module docstring); implies ``reads_text_flags``.

    ``needs``: which of the ``HEAVY_COLUMNS`` the task still reads from its messages when the features are
    set; given, the others are then not read at all (the texts are most of a read's cost).  A task that
    reads a column it did not declare fails on it (a KeyError), never computes on a missing column."""
    def mark(t: Callable[..., Any]) -> Callable[..., Any]:
        t.reads_features = True   # type: ignore[attr-defined]
        if needs is not None:
            t.feature_needs = tuple(needs)   # type: ignore[attr-defined]
        return reads_text_flags(t)
    return mark(task) if task is not None else mark


def split_frame(frame: pd.DataFrame, group_ids: list[str]) -> dict[str, pd.DataFrame]:
    """A frame with a ``group_id`` column as one frame per group (rows in their order; empty when none)."""
    gid = frame["group_id"].astype(str).to_numpy(dtype=object) if "group_id" in frame.columns else \
        np.array([""] * len(frame), object)
    rows: dict[str, np.ndarray] = {}
    if len(gid):        # one sort, not one comparison of every row per group
        order = np.argsort(gid, kind="stable")
        ordered = gid[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        rows = {ordered[a]: order[a:b] for a, b in zip(starts, np.r_[starts[1:], len(order)], strict=True)}
    none = np.zeros(0, np.int64)
    return {g: frame.iloc[rows.get(g, none)].reset_index(drop=True) for g in group_ids}


def split_records(records: list[dict], group_ids: list[str]) -> dict[str, list[dict]]:
    """A list of per-group dicts (each with a ``group_id``) as one list per group, in their order."""
    return {g: [r for r in records if r["group_id"] == g] for g in group_ids}


@dataclass(frozen=True)
class GroupInput:
    """What a task function gets: one group's scoped messages, its members and the run's as_of
    (for a ``batched`` task, possibly several groups' in one frame)."""

    key: str
    meta: dict
    messages: pd.DataFrame
    members: pd.DataFrame
    as_of: pd.Timestamp
    store: Store | None = None    # the store as the task sees it: its own group(s) only (rosters, meta)
    features: Any = None          # the messages' ``Features`` at as_of from the store (``reads_features``), or None
    derived: bool = False         # the groups' derived tables are fresh and were made from exactly these
    #                               messages (the scope kept every one, merged no ids): ``qunkit.derived``'s
    #                               ``stored_*`` readers hold for them
    own_as_of: dict[str, pd.Timestamp] | None = None   # group_id -> its own as_of, for a batch of groups
    #                               each judged at its own end (``own_as_of`` tasks); ``as_of`` is their newest


@dataclass(frozen=True)
class _Job:
    """One group's work, small and picklable (a process pool or a dask worker runs it)."""

    root: str
    key: str
    meta: dict
    scope: Scope
    columns: tuple[str, ...]
    task: Callable[..., Any]
    kwargs: dict = field(default_factory=dict)
    flags: bool = False     # attach the stored text flags where fresh (``reads_text_flags``)


@dataclass(frozen=True)
class _Batch:
    """Several groups' jobs (same task, scope and columns) run as one task."""

    jobs: tuple[_Job, ...]


class _OneGroup(Store):
    """The store as one task sees it: only its own group (or its batch's groups) is listed.
    ``Store.metas()`` reads every group's meta.json; called once per group read it would make a run
    O(groups^2)."""

    def __init__(self, root: str, key: str, meta: dict, more: dict[str, dict] | None = None) -> None:
        super().__init__(root)
        self._only = {key: meta, **(more or {})}
        self._rosters: dict[tuple[str, ...], dict[str, pd.DataFrame]] = {}

    def metas(self) -> dict[str, dict]:
        return dict(self._only)

    def rosters(self, groups: Iterable[str] = ()) -> dict[str, pd.DataFrame]:
        """The rosters read once per task: reading the messages attributes speakers with them and
        deriving the members uses them again (``moments`` shares them across moments the same way)."""
        key = tuple(groups)
        if key not in self._rosters:
            self._rosters[key] = super().rosters(key)
        return dict(self._rosters[key])


@dataclass
class Run:
    """Per-group results in the store's group order (groups without messages in scope left out)."""

    results: list[Any]
    as_of: pd.Timestamp
    keys: list[str]
    digest: str | None = None     # names the results exactly (from the cache entries; None: uncached)


def _load(store: Store, jobs: Sequence[_Job], narrow: bool = True) -> GroupInput | None:
    """The task input of ``jobs`` (one group's, or a batch's: same task, scope and options): their messages
    in scope and members, and, from fresh derived tables, what need not be computed again -- the members
    and the features when the scope kept every message and merges no ids, else the stored text flags
    (module docstring).  A task that declares what it ``needs`` besides the features reads, where features
    are expected, only that; if they then cannot be used, everything is read again (``narrow=False``).
    None when no message is in scope or none could be read (a warning named the unreadable part; the
    other groups go on)."""
    first, keys = jobs[0], [j.key for j in jobs]
    fresh = derived.fresh(store, keys)
    wants_features = first.flags and getattr(first.task, "reads_features", False)
    needs = getattr(first.task, "feature_needs", None)
    narrowed = narrow and wants_features and fresh and needs is not None and not first.scope.merges
    columns = [c for c in first.columns if not narrowed or c not in HEAVY_COLUMNS or c in needs]
    cols = list(dict.fromkeys([*columns, "msg_key"])) if first.flags else columns
    try:
        messages = store.messages(keys, columns=cols)
    except StoreError:
        return None
    read = len(messages)
    moments = {j.scope.as_of for j in jobs}
    # groups each at its own end (``own_as_of``): the latest moment keeps each group's in-scope messages
    scope = first.scope if len(moments) == 1 else replace(first.scope, as_of=max(moments))
    messages, as_of = scope.apply(messages)
    if not len(messages):
        return None
    complete = len(messages) == read and not first.scope.merges
    features = None
    if wants_features and fresh and complete:
        features = derived.stored_features(store, keys, {j.key: str(j.meta.get("group_id", j.key)) for j in jobs},
                                           messages, as_of)
    members = derived.stored_members(store, keys) if fresh and complete else None
    if narrowed and (features is None or members is None):
        return _load(store, jobs, narrow=False)
    if first.flags and fresh and features is None:
        from .analysis.text_features import STORED_FLAGS  # noqa: PLC0415 (the task's module loads it anyway)

        stored = derived.stored_text_flags(store, keys, messages["msg_key"].to_numpy())
        if stored is not None:
            messages = messages.assign(**{c: stored[c] for c in STORED_FLAGS})
    if first.flags and "msg_key" not in columns:
        messages = messages.drop(columns="msg_key")
    if members is None:
        members = store.members(keys, messages=messages)
    own = ({str(j.meta.get("group_id", j.key)): j.scope.as_of for j in jobs} if len(moments) > 1 else None)
    return GroupInput(first.key, first.meta, messages, members, as_of, store, features, derived=fresh and complete,
                      own_as_of=own)


def _newest(job: _Job, main: Store | None = None) -> tuple[int, int]:
    """(messages in scope, newest in-scope ts as ns or int64 min) of one group, before any as_of;
    -1 messages: the group could not be read.  For the default scope from the part footers' statistics
    (``Store.footer_summary``: with ``main``, the run's own store, whose ``metas`` has just read those
    footers), else in Arrow over the stored columns (``Store.message_table``: neither attribution nor
    merges touch them): a store of thousands of groups pays this per group."""
    s = job.scope
    store = _OneGroup(job.root, job.key, job.meta)
    if not (s.groups or s.until is not None or s.as_of is not None or s.since is not None):
        got = (main or store).footer_summary(job.key)   # the default scope: the part footers say it, no rows read
        if got is not None:
            rows, newest, chat_type = got
            if chat_type == "private" and not s.include_private:
                return 0, np.iinfo(np.int64).min
            return rows, newest
    cols = ["ts", "chat_type"] + (["group_name", "group_id"] if s.groups else [])
    try:
        table = store.message_table([job.key], cols)
    except StoreError:          # its unreadable part was named in a warning; the other groups go on
        return -1, np.iinfo(np.int64).min
    keep = np.ones(table.num_rows, bool)
    if not s.include_private:
        keep &= pc.not_equal(table["chat_type"].cast(pa.string()), "private").to_numpy()
    if s.groups:
        wanted = pa.array(sorted(set(s.groups)), pa.string())
        keep &= pc.or_(pc.is_in(table["group_name"].cast(pa.string()), value_set=wanted),
                       pc.is_in(table["group_id"].cast(pa.string()), value_set=wanted)).to_numpy()
    ns = table["ts"].cast(pa.timestamp("ns", "UTC")).cast(pa.int64()).to_numpy()[keep]
    if s.until is not None:
        ns = ns[ns < s.until.value]
    newest = int(ns.max()) if len(ns) else np.iinfo(np.int64).min
    if s.as_of is not None:
        ns = ns[ns <= s.as_of.value]
    if s.since is not None:
        ns = ns[ns >= s.since.value]
    return len(ns), newest


def _summary(job: _Job) -> Any:
    """``job.task(store, key, meta)`` with the store as that group's task sees it (``map_groups``)."""
    return job.task(_OneGroup(job.root, job.key, job.meta), job.key, job.meta, **job.kwargs)


def _one(job: _Job) -> Any:
    """Read one group, apply the scope (its as_of fixed), take its members, run the task."""
    g = _load(_OneGroup(job.root, job.key, job.meta), [job])
    return None if g is None else job.task(g, **job.kwargs)


def _one_batch(batch: _Batch) -> list[Any]:
    """``_one`` for every job of ``batch``, reading and analysing its groups together (results in job
    order; None for a group without messages in scope or one that could not be read)."""
    jobs = batch.jobs
    first = jobs[0]
    ids = [str(j.meta.get("group_id", j.key)) for j in jobs]
    split = getattr(first.task, "split_groups", None)
    if len(jobs) == 1:
        result = _one(first)
        return [result if result is None or split is None else split(result, ids)[ids[0]]]
    g = _load(_OneGroup(first.root, first.key, first.meta, {j.key: j.meta for j in jobs[1:]}), jobs)
    if g is None:
        return [None] * len(jobs)
    # every job of a run has the same options (``run``'s keyword arguments)
    parts = split(first.task(g, **first.kwargs), ids)
    present = {str(x) for x in pd.unique(g.messages["group_id"])}    # not astype(str): a copy per row
    return [parts.get(i) if i in present else None for i in ids]


def _batches(jobs: list[_Job], sizes: dict[str, int]) -> list[_Batch]:
    """``jobs`` (in store order) packed into batches of at most ``BATCH_ROWS`` in-scope messages, when
    their task is ``batched``; else one job per batch."""
    if not jobs or BATCH_ROWS <= 0 or not hasattr(jobs[0].task, "split_groups"):
        return [_Batch((j,)) for j in jobs]
    own = getattr(jobs[0].task, "own_as_of", False)

    def same(a: Scope, b: Scope) -> bool:   # a batch has one as_of, unless the task reads each group's own
        if a == b:
            return True
        return own and a.at_group_end and replace(a, as_of=None) == replace(b, as_of=None)

    out, cur, rows = [], [], 0
    for job in jobs:
        n = sizes[job.key]
        if cur and (rows + n > BATCH_ROWS or not same(job.scope, cur[0].scope)):
            out.append(cur)
            cur, rows = [], 0
        cur.append(job)
        rows += n
    if cur:
        out.append(cur)
    return [_Batch(tuple(group)) for group in out]


def scope_as_of(store: Store, scope: Scope, metas: dict[str, dict], keys: list[str], workers: int,
                cached: _Cached | None = None
                ) -> tuple[pd.Timestamp | None, dict[str, int], dict[str, pd.Timestamp | None]]:
    """The run's as_of (None: nothing in scope), each group's in-scope message count and each group's
    own newest in-scope message (None: none; what ``Scope.at_group_end`` judges it at)."""
    jobs = [_Job(str(store.root), k, metas[k], scope, (), _newest) for k in keys]
    found = _cached_map(jobs, cached, lambda todo: _threads(todo, workers, store), keep=lambda r: r[0] >= 0)
    sizes = {k: n for k, (n, _) in zip(keys, found, strict=True)}
    lowest = np.iinfo(np.int64).min
    own = {k: None if t == lowest else pd.Timestamp(t, tz="UTC") for k, (_, t) in zip(keys, found, strict=True)}
    if scope.as_of is not None:
        return scope.as_of, sizes, own
    newest = max((t for _, t in found), default=lowest)
    if newest == lowest:
        return None, sizes, own
    return pd.Timestamp(newest, tz="UTC"), sizes, own


def run(store: Store, scope: Scope, task: Callable[..., Any], *, engine: Engine | None = None,
        columns: Iterable[str] = ANALYSIS_COLUMNS, progress: Progress | None = None,
        hint: str = "qunkit import FILE", **kwargs: Any) -> Run:
    """``task(GroupInput, **kwargs)`` for every group in ``scope``; an empty scope is
    a StoreError."""
    engine = engine or Engine()
    if engine.kind not in ENGINES:
        raise UsageProblem(f"engine must be one of {', '.join(ENGINES)}, not {engine.kind!r}")
    metas = store.metas()
    # a group named twice (name and id) once; no group named: every group (``keys_for`` would list the
    # metas again, re-reading every group's folder)
    keys = list(dict.fromkeys(store.keys_for(scope.groups))) if scope.groups else list(metas)
    cached = _Cached.open(store, engine, metas, keys)
    as_of, sizes, own = scope_as_of(store, scope, metas, keys, engine.workers(), cached)
    if keys and all(sizes[k] < 0 for k in keys):
        raise StoreError(f"no group of store {store.root} could be read (the warnings above name the parts; "
                         "`qunkit doctor` says how to repair)")
    keys = [k for k in keys if sizes[k] > 0]
    if as_of is None or not keys:
        raise StoreError(f"no messages in scope (store {store.root}); import an export first: {hint}")
    fixed = replace(scope, as_of=as_of)
    each = scope.at_group_end and scope.as_of is None
    flags = getattr(task, "reads_text_flags", False) and kwargs.get("lexicon") is None and derived_enabled(store)
    jobs = [_Job(str(store.root), k, metas[k], replace(fixed, as_of=own[k] or as_of) if each else fixed,
                 tuple(columns), task, kwargs, flags)
            for k in keys]
    results = _cached_map(jobs, cached, lambda todo: _sized_map(todo, sizes, engine, progress))
    kept = [(k, r) for k, r in zip(keys, results, strict=True) if r is not None]
    if not kept:
        raise StoreError(f"no messages in scope (store {store.root}); import an export first: {hint}")
    digest = None
    if cached is not None and all(cached.entries.get(k) for k, _ in kept):
        digest = ResultCache.combine(task_name(task), [(k, cached.entries[k]) for k, _ in kept])
    return Run([r for _, r in kept], as_of, [k for k, _ in kept], digest)


def over_groups(store: Store, done: Run, fn: Callable[[list[Any]], Any]) -> Any:
    """``fn(done.results)`` -- a step over all groups' results, such as scoring roles across groups --
    reused from the result cache when ``done`` names its results exactly (``Run.digest``)."""
    if done.digest is None:
        return fn(done.results)
    cache, name = ResultCache(store.root), task_name(fn)
    hit, value = cache.get(name, "all", done.digest)
    if not hit:
        value = fn(done.results)
        cache.put(name, "all", done.digest, value)
    return value


def _sized_map(jobs: list[_Job], sizes: dict[str, int], engine: Engine, progress: Progress | None) -> list[Any]:
    """``_one`` over ``jobs`` (packed into batches for a ``batched`` task), big tasks first (no long
    tail); a small run stays in this process.  Results in job order."""
    batches = _batches(jobs, sizes)
    weight = [sum(sizes[j.key] for j in b.jobs) for b in batches]
    order = sorted(range(len(batches)), key=lambda i: -weight[i])
    small = sum(weight) < POOL_MIN_ROWS
    done = _map(_one_batch, batches, order, engine, small, progress, [len(b.jobs) for b in batches])
    return [r for results in done for r in results]


def _threads(jobs: list[_Job], workers: int, main: Store) -> list[Any]:
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs)))) as pool:
        return list(pool.map(lambda job: _newest(job, main), jobs))


@dataclass
class _Cached:
    """The result cache as one run uses it: each group's data state, read once."""

    cache: ResultCache
    states: dict[str, str]
    entries: dict[str, str | None] = field(default_factory=dict)   # key -> entry of the last map

    @classmethod
    def open(cls, store: Store, engine: Engine, metas: dict[str, dict], keys: list[str]) -> _Cached | None:
        if not engine.cache or disabled_by_env():
            return None
        states = {k: store.group_state(k) + json.dumps(metas[k], sort_keys=True, ensure_ascii=False) for k in keys}
        return cls(ResultCache(store.root), states)


def _cached_map(jobs: list[_Job], cached: _Cached | None, compute: Callable[[list[_Job]], list[Any]],
                keep: Callable[[Any], bool] = lambda r: r is not None) -> list[Any]:
    """Each job's result from the cache where its inputs are unchanged; ``compute`` runs the others
    (results in job order), and those ``keep`` accepts are stored (an unreadable group is not)."""
    if cached is None or not jobs:
        return compute(jobs)
    name = task_name(jobs[0].task)
    entries = [cached.cache.entry(name, cached.states[j.key], j.scope, j.columns, j.kwargs) for j in jobs]
    cached.entries = {j.key: e for j, e in zip(jobs, entries, strict=True)}
    results: list[Any] = [None] * len(jobs)
    todo = []
    for i, (job, entry) in enumerate(zip(jobs, entries, strict=True)):
        hit, value = cached.cache.get(name, job.key, entry) if entry else (False, None)
        if hit:
            results[i] = value
        else:
            todo.append(i)
    for i, value in zip(todo, compute([jobs[i] for i in todo]) if todo else [], strict=True):
        results[i] = value
        if entries[i] and keep(value):
            cached.cache.put(name, jobs[i].key, entries[i], value)
    return results


def map_groups(store: Store, summary: Callable[..., Any], *, engine: Engine | None = None,
               progress: Progress | None = None, keys: Iterable[str] | None = None,
               rows: dict[str, int] | None = None, **kwargs: Any) -> list[Any]:
    """``summary(store, key, meta, **kwargs)`` for every group of the store (or of ``keys``), in the
    store's order; the store it gets lists only that group (so reading it costs one group, not all of
    them).  With ``rows`` (messages per group) the biggest groups start first and the pool is used
    when they add up to ``POOL_MIN_ROWS``, however few groups there are (a rebuild of two big groups
    gains from it); without it, from ``POOL_MIN_GROUPS`` groups."""
    engine = engine or Engine()
    metas = store.metas()
    chosen = list(metas) if keys is None else [k for k in metas if k in set(keys)]
    jobs = [_Job(str(store.root), k, metas[k], Scope(), (), summary, kwargs) for k in chosen]
    if rows is None:
        return _map(_summary, jobs, list(range(len(jobs))), engine, len(jobs) < POOL_MIN_GROUPS, progress)
    sizes = [rows.get(k, 0) for k in chosen]
    order = sorted(range(len(jobs)), key=lambda i: -sizes[i])
    return _map(_summary, jobs, order, engine, sum(sizes) < POOL_MIN_ROWS, progress)


Tick = Callable[[int], None]


def _map(fn: Callable[[Any], Any], jobs: list[Any], order: list[int], engine: Engine, small: bool,
         progress: Progress | None, weights: list[int] | None = None) -> list[Any]:
    """``fn`` over ``jobs`` (results in job order) on the engine; a small run stays in this process.
    ``progress`` gets (done, total) counted in ``weights`` (the groups of each batch; default 1 per job)."""
    tick = _ticker(progress, weights or [1] * len(jobs))
    if engine.kind == "dask":
        return _dask_map(fn, jobs, order, engine, tick)
    if engine.workers() == 1 or len(jobs) <= 1 or small:
        return _serial_map(fn, jobs, tick)
    return _pool_map(fn, jobs, order, engine.workers(), tick)


def _ticker(progress: Progress | None, weights: list[int]) -> Tick | None:
    """Job ``i`` finished -> ``progress(done, total)`` in units of ``weights``."""
    if progress is None:
        return None
    total, done = sum(weights), [0]

    def tick(i: int) -> None:
        done[0] += weights[i]
        progress(done[0], total)
    return tick


def _serial_map(fn: Callable[[Any], Any], jobs: list[Any], tick: Tick | None) -> list[Any]:
    out = []
    for i, job in enumerate(jobs):
        out.append(fn(job))
        if tick:
            tick(i)
    return out


def _context(preload: list[str]) -> multiprocessing.context.BaseContext:
    """forkserver where there is one: workers fork from a clean process with the task's module already
    imported (no fork of a parent's Arrow threads, no re-import per worker); spawn elsewhere."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["qunkit.engine", *preload])
        return ctx
    return multiprocessing.get_context("spawn")


def _pool_map(fn: Callable[[Any], Any], jobs: list[Any], order: list[int], workers: int,
              tick: Tick | None) -> list[Any]:
    results: list[Any] = [None] * len(jobs)
    first = jobs[0].jobs[0] if isinstance(jobs[0], _Batch) else jobs[0]
    ctx = _context([first.task.__module__])
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx) as pool:
        futures = {pool.submit(fn, jobs[i]): i for i in order}
        for fut in as_completed(futures):
            results[futures[fut]] = fut.result()
            if tick:
                tick(futures[fut])
    return results


def _dask_map(fn: Callable[[Any], Any], jobs: list[Any], order: list[int], engine: Engine,
              tick: Tick | None) -> list[Any]:
    """The same ``_one`` per group on a dask.distributed cluster (``engine.scheduler``, else a local one)."""
    try:
        distributed = importlib.import_module("dask.distributed")   # optional extra: qunkit[dask]
    except ImportError:
        raise UsageProblem("--engine dask needs dask.distributed: pip install 'qunkit[dask]'") from None
    if engine.scheduler:
        client = distributed.Client(engine.scheduler)
        cluster = None
    else:
        cluster = distributed.LocalCluster(n_workers=engine.workers(), threads_per_worker=1,
                                           dashboard_address=None)
        client = distributed.Client(cluster)
    try:
        futures = client.map(fn, [jobs[i] for i in order], pure=False)
        index = {f.key: i for f, i in zip(futures, order, strict=True)}
        results: list[Any] = [None] * len(jobs)
        for fut in distributed.as_completed(futures):
            results[index[fut.key]] = fut.result()
            if tick:
                tick(index[fut.key])
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def combine(frames: list[pd.DataFrame], by: list[str], ascending: bool | list[bool] = True,
            na_position: str = "last") -> pd.DataFrame:
    """Per-group frames (in group order) as the one frame the all-groups function returns: concatenated,
    then sorted stably by that function's keys (rows of one group keep their own order)."""
    full = [f for f in frames if len(f)]
    if not full:
        return frames[0] if frames else pd.DataFrame()
    frames = full
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return out.sort_values(by, ascending=ascending, kind="stable", na_position=na_position).reset_index(drop=True)
