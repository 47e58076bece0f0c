# Sourced by the scripts. Debian 12's OpenBLAS 0.3.21 does not recognise some
# newer CPU models and then runs its generic "Prescott" kernels (measured here,
# family 6 model 207: a 1024-wide linear layer at 21 instead of 62 GFLOP/s, the
# quickstart 1.7x slower). Unless OPENBLAS_CORETYPE is set, choose the kernels
# from the CPU's flags, as OpenBLAS does for the models it knows.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ -r /proc/cpuinfo ]; then
  _distdiff_flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
  case "$_distdiff_flags" in
    *" avx512f "*" avx512bw "*|*" avx512bw "*" avx512f "*) export OPENBLAS_CORETYPE=SKYLAKEX ;;
    *" avx2 "*) export OPENBLAS_CORETYPE=HASWELL ;;
  esac
  unset _distdiff_flags
fi
