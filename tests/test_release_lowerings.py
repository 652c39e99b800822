"""``idf.device.release_lowerings`` drops JAX's cached lowerings and keeps the compiled programs:
a seen signature runs again without lowering (or compiling), with the same result, and on a
jaxlib whose lowerings are large (0.10 on the CPU: ~2.2 MB each) the memory comes back.

In a fresh process, so the counts and the resident size are this test's own."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import jax, jax.numpy as jnp, numpy as np
    from idf import device

    def rss_mb():
        return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20

    f = jax.jit(lambda x, a: jnp.cumsum(x * a) - 1.0)
    xs = [jnp.arange(n, dtype=jnp.float32) for n in range(8, 68)]  # 60 signatures
    device.release_lowerings()
    start, lowered0 = rss_mb(), device.count_lowerings()
    first = [np.asarray(f(x, 0.5)) for x in xs]
    held = rss_mb() - start
    assert device.count_lowerings() - lowered0 >= 60, device.count_lowerings() - lowered0
    dropped = device.release_lowerings(trim=True)
    assert dropped >= 60, dropped
    freed = start + held - rss_mb()
    lowered = device.count_lowerings()
    again = [np.asarray(f(x, 2.0)) for x in xs]  # a new traced value: the same programs
    assert device.count_lowerings() == lowered, ("lowered again", device.count_lowerings() - lowered)
    for x, a, b in zip(xs, first, again):
        np.testing.assert_allclose(b, np.cumsum(np.asarray(x) * 2.0) - 1.0, rtol=1e-6)
        np.testing.assert_allclose(a, np.cumsum(np.asarray(x) * 0.5) - 1.0, rtol=1e-6)
    assert device.release_new_lowerings() == 0  # nothing new since: nothing to drop
    x3 = jnp.ones(3)
    lowered = device.count_lowerings()
    f(x3, 1.0)  # a new signature is lowered (the counter sees it) and released
    assert device.count_lowerings() == lowered + 1
    assert device.release_new_lowerings() >= 1
    if held / 60 >= 2.0:  # jaxlib 0.10: most of a program's memory is its lowering
        assert freed >= 0.5 * held, (held, freed)
    print(f"RELEASE-OK held {held:.0f} MB for 60 programs, freed {freed:.0f} MB")
    """
)


def test_released_lowerings_keep_the_compiled_programs_and_free_their_memory():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0 and "RELEASE-OK" in out.stdout, out.stderr[-3000:]
