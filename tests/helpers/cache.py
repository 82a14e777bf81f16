"""One cache for the expensive fits several tests read (trained models, loss histories)."""
import functools
import weakref


def per_tutorial(fn):
    """Cache fn(tutorial, *args) per tutorial module, the module held weakly: a learner's module (a new
    one on every run of `python -m spec learn --watch`) takes its results with it when it goes, and a
    redefined function is never served an old result. `cache_clear()` empties it, like functools.lru_cache's.
    Callers only read what they get back."""
    results = weakref.WeakKeyDictionary()

    @functools.wraps(fn)
    def cached(tutorial, *args):
        per_module = results.setdefault(tutorial, {})
        if args not in per_module:
            per_module[args] = fn(tutorial, *args)
        return per_module[args]

    cached.cache_clear = results.clear  # what spec/learn.py calls between runs (same module, new code)
    return cached
