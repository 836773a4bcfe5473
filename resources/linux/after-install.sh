#!/bin/sh
# .deb post-install: commands on PATH, MIME types, desktop database, AppArmor profile.
# Unlike Electron's default script this never makes chrome-sandbox setuid: nothing of Sandtray is
# setuid. Chromium's own sandbox uses user namespaces, which the AppArmor profile allows.
set -e
ln -sf /opt/Sandtray/sandtray-desktop /usr/bin/sandtray-desktop
ln -sf /opt/Sandtray/resources/app/resources/linux/sandtray-cli /usr/bin/sandtray
install -D -m 644 /opt/Sandtray/resources/app/resources/linux/sandtray-mime.xml /usr/share/mime/packages/sandtray.xml
if command -v update-mime-database >/dev/null 2>&1; then update-mime-database /usr/share/mime || true; fi
if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database -q /usr/share/applications || true; fi
if [ -d /etc/apparmor.d ]; then
  install -m 644 /opt/Sandtray/resources/app/resources/apparmor/sandtray /etc/apparmor.d/sandtray
  if command -v apparmor_parser >/dev/null 2>&1 && [ -e /sys/kernel/security/apparmor ]; then
    apparmor_parser -r -T -W /etc/apparmor.d/sandtray || true
  fi
fi
