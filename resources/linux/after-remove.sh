#!/bin/sh
# .deb post-remove: undo after-install (sandboxes and user data stay in the users' homes).
set -e
rm -f /usr/bin/sandtray-desktop /usr/bin/sandtray /usr/share/mime/packages/sandtray.xml
if command -v update-mime-database >/dev/null 2>&1; then update-mime-database /usr/share/mime || true; fi
if [ -f /etc/apparmor.d/sandtray ]; then
  if command -v apparmor_parser >/dev/null 2>&1 && [ -e /sys/kernel/security/apparmor ]; then
    apparmor_parser -R /etc/apparmor.d/sandtray || true
  fi
  rm -f /etc/apparmor.d/sandtray
fi
