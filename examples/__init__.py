"""Worked examples: small eventlet libraries with a race, each beside its fixed twin.

Each module is written the way a real library would be, opens with the story
of its race, and ends with two zero-argument programs, ``buggy`` and
``fixed``, that exercise the library and assert what must hold: harness
targets, e.g. ``race-harness explore race_harness.examples.token_cache:buggy --strategy dfs``.

* ``token_cache``: check-then-act cache fill (two callers both miss and fetch);
* ``change_feed``: lost wakeup with ``Event.reset`` (a change published while
  the watcher handles the last batch is never seen);
* ``lazy_client``: double-checked initialisation without the second check;
* ``worker``: a queue consumer's shutdown flag races its ``get()``;
* ``journal``: a pool of connections assumed to serve its waiters in call
  order; invisible in eventlet's default order, found by the harness's
  choice of which waiter a returned connection wakes.

See docs/racing-your-code.md for the walk-through.
"""
