# Sourced by sdk/run.sh and browser/run.sh (after `say` and `target` are
# set): `kefu` is the binary they test, KEFU_BIN when given, else a fresh
# debug build.
if [ -n "${KEFU_BIN:-}" ]; then
    kefu=$KEFU_BIN # a kefu built elsewhere
else
    say "building kefu"
    cargo build -q -p kefu
    kefu=$target/debug/kefu
fi
