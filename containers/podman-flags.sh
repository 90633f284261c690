# Flags that make podman work in a sandbox without CAP_SYS_RESOURCE and with hybrid cgroups (v1 controllers plus an
# empty v2 mount): crun refuses hybrid cgroups, and the default RLIMIT_NOFILE/NPROC (above the current hard limits)
# cannot be set. runc copes with both when the limits are the current ones. Elsewhere these are harmless.
# Sourced by build-local.sh and used by test/containers/; override with PODMAN_FLAGS / PODMAN_RUN_FLAGS.
if command -v runc >/dev/null 2>&1; then
  PODMAN_FLAGS=${PODMAN_FLAGS:---runtime runc}
else
  PODMAN_FLAGS=${PODMAN_FLAGS:-}
fi
# 32768 processes: the most runc could set here (the limit it runs under, not the shell's).
_nproc=$(ulimit -Hu); { [ "$_nproc" = unlimited ] || [ "$_nproc" -gt 32768 ]; } && _nproc=32768
PODMAN_RUN_FLAGS=${PODMAN_RUN_FLAGS:---ulimit nofile=$(ulimit -Sn):$(ulimit -Hn) --ulimit nproc=$_nproc:$_nproc}
export PODMAN_FLAGS PODMAN_RUN_FLAGS
