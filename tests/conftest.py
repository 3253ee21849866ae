"""Test-wide settings: one BLAS/OpenMP thread per process.

Tests fit many tiny models, often two at a time on a 2-core machine; spinning
BLAS threads then make them several times slower (one small LogisticRegression
search took 66 s with two OpenBLAS threads on a busy machine, 9 s with one).
Set before numpy is imported, so worker processes inherit it too.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
