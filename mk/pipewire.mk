# mk/pipewire.mk — the PipeWire noise-cancelled microphone: a filter-chain snippet
# (pipewire/statewave-mic.conf) that runs the LV2 denoiser on the default capture device, its
# installation; its test with the real daemons is tests/host/test_pipewire_mic.py (mk/tests.mk).
#   make install-pipewire   the snippet into $(PWCONFDIR) (part of make install)
#
# Where the snippet goes (PipeWire reads pipewire.conf.d from ~/.config/pipewire, /etc/pipewire
# and /usr/share/pipewire, not from /usr/local): PWCONFDIR can always be given; otherwise
#   PREFIX=/usr (packaging)        $(DESTDIR)/usr/share/pipewire/pipewire.conf.d
#   PREFIX under $(HOME)           $(HOME)/.config/pipewire/pipewire.conf.d
#   any other PREFIX (/usr/local)  $(DESTDIR)/etc/pipewire/pipewire.conf.d

DEB_PKGS_TEST += pipewire pipewire-bin wireplumber libpipewire-0.3-modules dbus-daemon

ifeq ($(PREFIX),/usr)
PWCONFDIR ?= $(DESTDIR)/usr/share/pipewire/pipewire.conf.d
else ifneq ($(filter $(HOME)/%,$(PREFIX)),)
PWCONFDIR ?= $(HOME)/.config/pipewire/pipewire.conf.d
else
PWCONFDIR ?= $(DESTDIR)/etc/pipewire/pipewire.conf.d
endif

.PHONY: install-pipewire uninstall-pipewire
install-pipewire: pipewire/statewave-mic.conf $(if $(filter install,$(MAKECMDGOALS)),install-check)
	install -d $(PWCONFDIR)
	install -m 644 pipewire/statewave-mic.conf $(PWCONFDIR)/statewave-mic.conf
	@echo "installed $(PWCONFDIR)/statewave-mic.conf: restart PipeWire (systemctl --user restart pipewire)"

uninstall-pipewire:
	rm -f $(PWCONFDIR)/statewave-mic.conf

install: install-pipewire
uninstall: uninstall-pipewire
