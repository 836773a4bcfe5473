#!/bin/sh
# .deb post-install: commands on PATH with their man page and shell completions, MIME types,
# desktop database, the launcher, AppArmor profile.
# Unlike Electron's default script this never makes chrome-sandbox setuid: nothing of Sandtray is
# setuid. Chromium's own sandbox uses user namespaces, which the AppArmor profile allows where the
# kernel restricts them.
set -e
APP=/opt/Sandtray/resources/app/resources
ln -sf /opt/Sandtray/sandtray-desktop /usr/bin/sandtray-desktop
ln -sf $APP/linux/sandtray-cli /usr/bin/sandtray
# The man page and the shell completions (made by the build from the CLI's command table).
install -D -m 644 $APP/man/sandtray.1 /usr/share/man/man1/sandtray.1
install -D -m 644 $APP/completion/sandtray.bash /usr/share/bash-completion/completions/sandtray
install -D -m 644 $APP/completion/_sandtray /usr/share/zsh/vendor-completions/_sandtray
install -D -m 644 $APP/completion/sandtray.fish /usr/share/fish/vendor_completions.d/sandtray.fish
install -D -m 644 $APP/linux/sandtray-mime.xml /usr/share/mime/packages/sandtray.xml
# The launcher entry the tests validate, under the name Electron's desktopName gives (package.json),
# in place of the one electron-builder generates.
install -D -m 644 $APP/linux/sandtray.desktop /usr/share/applications/sandtray-desktop.desktop
if command -v update-mime-database >/dev/null 2>&1; then update-mime-database /usr/share/mime || true; fi
if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database -q /usr/share/applications || true; fi
# The launcher every sandbox chain starts with (helpers/host/close-fds.ts uses it only when root
# owns it and no one else can write it), and the AppArmor set-up, kept for after-remove.
install -d -o root -g root -m 755 /usr/lib/sandtray
install -o root -g root -m 755 $APP/bin/sandtray-launch /usr/lib/sandtray/sandtray-launch
install -o root -g root -m 755 $APP/linux/apparmor-setup.sh /usr/lib/sandtray/apparmor-setup
# Installs the profile only where the kernel restricts user namespaces and the parser accepts it;
# never fails.
sh /usr/lib/sandtray/apparmor-setup install $APP/apparmor || true
