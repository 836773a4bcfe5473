#!/bin/sh
# Installs or removes Sandtray's AppArmor profile (resources/apparmor/), as root.
#
#   apparmor-setup.sh install [SOURCE_DIR]   SOURCE_DIR holds `sandtray` and `sandtray.d/`
#   apparmor-setup.sh remove
#
# The .deb's post-install runs `install`, its post-remove `remove`; an administrator of a checkout
# may run it by hand (`sandtray doctor` prints the command). It installs the profile only where it
# is needed and works: the kernel restricts unprivileged user namespaces
# (kernel.apparmor_restrict_unprivileged_userns = 1), the parser has the 4.0 policy ABI, and the
# parser compiles the profile with its `userns` rule. Anywhere else it installs nothing, and it
# removes a profile an older Sandtray left there. It never fails: a package install must not break
# because of it, and neither may apparmor.service at the next boot.
#
# SANDTRAY_ROOT (tests only) names a folder that stands for / : the files go under it, the sysctl is
# read from it, and nothing is loaded into the kernel.
set -u

ROOT=${SANDTRAY_ROOT:-}
AA_DIR=$ROOT/etc/apparmor.d
SYSCTL=$ROOT/proc/sys/kernel/apparmor_restrict_unprivileged_userns
SNIPPETS="abi userns"

say() { echo "sandtray apparmor: $*"; }

# Loading and unloading touch the running kernel: only for the real root, with AppArmor enabled.
kernel() { [ -z "$ROOT" ] && [ -d /sys/kernel/security/apparmor ]; }

remove_profile() {
  if [ -f "$AA_DIR/sandtray" ]; then
    if kernel && command -v apparmor_parser >/dev/null 2>&1; then
      apparmor_parser -R "$AA_DIR/sandtray" >/dev/null 2>&1 || true
    fi
    rm -f "$AA_DIR/sandtray"
    say "removed $AA_DIR/sandtray"
  fi
  for s in $SNIPPETS; do rm -f "$AA_DIR/sandtray.d/$s"; done
  rmdir "$AA_DIR/sandtray.d" 2>/dev/null || true
}

install_profile() {
  src=$1
  restricted=$(cat "$SYSCTL" 2>/dev/null || true)
  if [ "$restricted" != 1 ]; then
    say "this kernel does not restrict user namespaces with AppArmor; no profile needed"
    remove_profile
    return 0
  fi
  if ! command -v apparmor_parser >/dev/null 2>&1; then
    say "apparmor_parser is missing: install the apparmor package, then run: sudo sh $0 install $src"
    return 0
  fi
  if [ ! -e "$AA_DIR/abi/4.0" ]; then
    say "this AppArmor has no 4.0 policy ABI (AppArmor 3): it cannot grant user namespaces; see 'sandtray doctor'"
    remove_profile
    return 0
  fi
  stage=$(mktemp -d) || return 0
  cp "$src/sandtray" "$stage/sandtray" && mkdir "$stage/sandtray.d" || { rm -rf "$stage"; return 0; }
  for s in $SNIPPETS; do cp "$src/sandtray.d/$s" "$stage/sandtray.d/$s" || { rm -rf "$stage"; return 0; }; done
  # Compile only (-Q: no kernel load, -K/-T: no cache): does this parser accept the userns rule?
  if ! out=$(apparmor_parser -Q -K -T -I "$stage" -I "$AA_DIR" "$stage/sandtray" 2>&1); then
    say "this AppArmor parser refuses the profile, so it is not installed: $out"
    rm -rf "$stage"
    remove_profile
    return 0
  fi
  # Unload what is there first: an older Sandtray's file had other profiles (for /usr/bin/bwrap
  # and /usr/bin/unshare) that replacing the file would leave loaded.
  remove_profile
  mkdir -p "$AA_DIR/sandtray.d"
  for s in $SNIPPETS; do install -m 644 "$stage/sandtray.d/$s" "$AA_DIR/sandtray.d/$s"; done
  install -m 644 "$stage/sandtray" "$AA_DIR/sandtray"
  rm -rf "$stage"
  say "installed $AA_DIR/sandtray"
  if kernel; then
    if apparmor_parser -r -T -W "$AA_DIR/sandtray" >/dev/null 2>&1; then
      say "loaded profiles sandtray and sandtray-launch"
    else
      say "could not load $AA_DIR/sandtray; it loads at the next boot, or run: sudo apparmor_parser -r $AA_DIR/sandtray"
    fi
  fi
  return 0
}

case "${1:-}" in
  install) install_profile "${2:-/opt/Sandtray/resources/app/resources/apparmor}" ;;
  remove) remove_profile ;;
  *) echo "usage: $0 install [SOURCE_DIR] | remove" >&2 ;;
esac
exit 0
