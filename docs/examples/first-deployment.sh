#!/usr/bin/env bash
# A first Stoa deployment built with the CLI, the way an administrator would script it:
# the directory (a domain, OUs, groups, users), a site policy, two categories with
# allowed and denied members and creators, rooms of every privacy and type with managers
# and presenters, an add-in, the legacy lookup endpoint and the administrator role.
#
#   STOA_DATA_DIR=/tmp/demo docs/examples/first-deployment.sh
#
# Stops at the first refused command (set -e). CI runs it on an empty data dir.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
stoa() { "${STOA:-$here/../../bin/stoa.js}" --pool-fqdn "${POOL:-chat.contoso.com}" "$@"; }

# --- the directory -----------------------------------------------------------------
stoa principal add contoso.com --kind domain --display-name 'Contoso'
stoa principal add 'OU=Engineering,DC=contoso,DC=com' --kind container
stoa principal add 'OU=Contractors,DC=contoso,DC=com' --kind container
stoa principal add 'CN=Developers,OU=Engineering,DC=contoso,DC=com' --kind group
stoa principal add 'CN=Release Managers,OU=Engineering,DC=contoso,DC=com' --kind group \
  --member-of 'CN=Developers,OU=Engineering,DC=contoso,DC=com'
stoa principal add 'CN=Chat Admins,DC=contoso,DC=com' --kind group

stoa principal add sip:ana@contoso.com --kind user --display-name 'Ana Silva' --email ana@contoso.com \
  --dn 'CN=Ana Silva,OU=Engineering,DC=contoso,DC=com' --site Redmond \
  --member-of 'CN=Release Managers,OU=Engineering,DC=contoso,DC=com'
stoa principal add sip:ben@contoso.com --kind user --display-name 'Ben Okafor' --email ben@contoso.com \
  --dn 'CN=Ben Okafor,OU=Engineering,DC=contoso,DC=com' --site Redmond \
  --member-of 'CN=Developers,OU=Engineering,DC=contoso,DC=com'
stoa principal add sip:chen@contoso.com --kind user --display-name 'Chen Wei' --email chen@contoso.com \
  --dn 'CN=Chen Wei,OU=Contractors,DC=contoso,DC=com' --site Oslo
stoa principal add sip:dana@contoso.com --kind user --display-name 'Dana Park' --email dana@contoso.com --site Redmond
stoa group member add 'CN=Chat Admins,DC=contoso,DC=com' sip:dana@contoso.com
stoa admin grant 'CN=Chat Admins,DC=contoso,DC=com'
printf 'dana-first-password\n' | stoa user passwd sip:dana@contoso.com --password-stdin

# --- who may use the service ---------------------------------------------------------
# Everyone is enabled by the global policy of a fresh install; Oslo's site is piloted
# only for those granted the per-user policy.
stoa policy new site:Oslo --description 'Not rolled out in Oslo yet'
stoa policy new tag:OsloPilot --enable-persistent-chat --description 'Oslo pilot users'
stoa policy grant sip:chen@contoso.com --policy-name OsloPilot

# --- service and compliance settings --------------------------------------------------
stoa config set --default-chat-history 50 --participant-update-limit 100
stoa config new site:Oslo --default-chat-history 20
stoa compliance-config set --adapter-type Xml --run-interval 00:15:00 --create-file-attachments-manifest

# --- categories -------------------------------------------------------------------------
# Engineering: everyone in the company but contractors; developers create rooms.
stoa category new --name Engineering --description 'Product engineering' \
  --allowed-members contoso.com --denied-members 'OU=Contractors,DC=contoso,DC=com' \
  --creators 'CN=Developers,OU=Engineering,DC=contoso,DC=com' \
  --enable-invitations --enable-file-upload
# Announcements: the whole company, no uploads, history kept.
stoa category new --name Announcements --allowed-members contoso.com --creators sip:dana@contoso.com

# --- an add-in ---------------------------------------------------------------------------
stoa addin new --name 'Build Dashboard' --url https://builds.contoso.com/pane

# --- rooms of every privacy and type -------------------------------------------------
stoa room new --name 'Engineering Lobby' --category Engineering --privacy Open \
  --description 'Anyone in engineering can drop in'
stoa room new --name 'Release Train' --category Engineering --privacy Closed \
  --members 'CN=Developers,OU=Engineering,DC=contoso,DC=com' --managers sip:ana@contoso.com \
  --addin 'Build Dashboard'
stoa room new --name 'Incident Bridge' --category Engineering --privacy Secret \
  --members 'sip:ana@contoso.com,sip:ben@contoso.com' --managers sip:ana@contoso.com
stoa room new --name 'Town Hall' --category Announcements --type Auditorium --privacy Open \
  --presenters sip:dana@contoso.com --managers sip:dana@contoso.com
stoa room new --name 'Release Notes' --category Engineering --type Auditorium --privacy Closed \
  --members 'CN=Developers,OU=Engineering,DC=contoso,DC=com' \
  --presenters 'CN=Release Managers,OU=Engineering,DC=contoso,DC=com' --managers sip:ana@contoso.com
stoa room new --name 'Leadership Briefings' --category Announcements --type Auditorium --privacy Secret \
  --members sip:dana@contoso.com --presenters sip:dana@contoso.com --invitations False

# A manager's everyday edits.
stoa room set 'Release Train' --add-member sip:dana@contoso.com --description 'Weekly release coordination'

# --- the legacy lookup URI, so Group Chat clients find the pool ------------------------
stoa endpoint new --sip-address sip:ocschat@contoso.com --display-name 'Group Chat (legacy lookup)'

# --- what was built ----------------------------------------------------------------------
stoa category get
stoa room get
stoa principal eligible --room 'Release Notes' --presenters
