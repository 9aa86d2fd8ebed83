# Sourced by Skua's job scripts: skua_launch BIN ARGS... runs BIN under srun inside a Slurm allocation,
# otherwise under mpirun with NP ranks (default 2), oversubscribed, and root-safe.
skua_launch() {
  if [ -n "${SLURM_JOB_ID:-}" ]; then
    srun "$@"
  else
    local flags=(--oversubscribe -n "${NP:-2}")
    [ "$(id -u)" = 0 ] && flags+=(--allow-run-as-root)
    mpirun "${flags[@]}" "$@"
  fi
}

# skua_bin NAME: the path of a built driver, or an error telling to run scripts/bootstrap.
skua_bin() {
  local bin="$ROOT/build/bin/$1"
  [ -x "$bin" ] || { echo "$bin not built: run scripts/bootstrap first" >&2; return 1; }
  echo "$bin"
}
