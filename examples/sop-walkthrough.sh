#!/usr/bin/env bash
# The whole SMS broadcast SOP on a temporary copy of the sample workspace:
# keys for five people, init, registry, submit, both approvals, a rejected
# second request, list, verify, then the operator sends the approved request
# through the embedded outbox (Gammu spool files). Needs no input and no network.
#
#   bash examples/sop-walkthrough.sh            # builds sms-bcast if needed
#   SMS_BCAST_BIN=/path/to/sms-bcast bash examples/sop-walkthrough.sh
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -z "${SMS_BCAST_BIN:-}" ]]; then
  cargo build --quiet --manifest-path "$repo/Cargo.toml"
  SMS_BCAST_BIN="$repo/target/debug/sms-bcast"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Everything this run writes stays in $work: keys, the workspace, the trust pin.
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_STATE_HOME="$work/home/.state"
mkdir -p "$HOME"
keys="$work/keys"
ws="$work/workspace"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
sb() { echo "\$ sms-bcast$(printf ' %q' "$@")" >&2; "$SMS_BCAST_BIN" -C "$ws" "$@"; }

step "Copy the sample workspace (settings, recipient lists, calendar) into $ws"
mkdir -p "$ws"
cp "$repo/sms-bcast.yaml" "$ws/"
cp -r "$repo/recipients" "$ws/"
[[ -d "$repo/calendar" ]] && cp -r "$repo/calendar" "$ws/"
git -C "$ws" init -q
git -C "$ws" -c user.name=Sample -c user.email=sample@example.invalid add -A
git -C "$ws" -c user.name=Sample -c user.email=sample@example.invalid commit -qm "Sample workspace"

step "Five people make their keys (unencrypted here; real keys get a password)"
for who in satker teamleader staff operator staff2; do
  "$SMS_BCAST_BIN" keygen --name "$who" --out "$keys" --no-password >/dev/null 2>&1
done
ls "$keys"

step "The Satker (admin and decider) starts the workspace; a drill, so the clock can be fixed"
export SMS_BCAST_NOW="2026-12-07T09:00:00+07:00"
sb init "$ws" --name "Satker P2KP" --role decider --phone +6281200000001 --drill --key "$keys/satker.key"

step "The Satker registers the Team Leader, two staff members and the operator"
export SMS_BCAST_KEY="$keys/satker.key"
sb roles add --name "Team Leader" --public-key "$keys/teamleader.pub" --role advisor --phone +6281200000002
sb roles add --name "Ani Staf" --public-key "$keys/staff.pub" --role requester --phone +6281200000003
sb roles add --name "Budi Staf" --public-key "$keys/staff2.pub" --role requester --phone +6281200000004
sb roles add --name "Operator SIM" --public-key "$keys/operator.pub" --role operator --phone +6281200000005
sb roles list

step "Ani submits a request"
cat > "$work/request.yaml" <<'FORM'
unit: TA USK KMP
requester: Ani Staf
contact_phone: "+6281200000003"
title: Jadwal verifikasi BLM
message: |
  Yth. ((nama)), verifikasi BLM kelurahan dilaksanakan Senin 14 Desember 2026 pukul 09.00 di kantor kecamatan. Harap hadir. -Satker P2KP
recipients:
  - list: recipients/fasilitator.csv
justification: Jadwal verifikasi berubah; semua fasilitator harus tahu sebelum Senin.
FORM
export SMS_BCAST_KEY="$keys/staff.key"
first=$(sb submit "$work/request.yaml")
echo "request id: $first"

step "The Team Leader (advisor) approves, then the Satker (decider)"
SMS_BCAST_NOW="2026-12-07T11:00:00+07:00" SMS_BCAST_KEY="$keys/teamleader.key" sb approve "$first"
SMS_BCAST_NOW="2026-12-07T14:00:00+07:00" SMS_BCAST_KEY="$keys/satker.key" sb approve "$first"

step "Budi submits a second request; the Team Leader rejects it"
sed -e 's/Ani Staf/Budi Staf/' -e 's/+6281200000003/+6281200000004/' -e 's/Jadwal verifikasi BLM/Lomba foto kegiatan/' "$work/request.yaml" > "$work/request2.yaml"
second=$(SMS_BCAST_KEY="$keys/staff2.key" sb submit "$work/request2.yaml")
SMS_BCAST_NOW="2026-12-07T15:00:00+07:00" SMS_BCAST_KEY="$keys/teamleader.key" sb reject "$second" --reason "Tidak mendesak; gunakan kanal biasa."

step "Where everything stands, and every deadline (SOP: 1 working day per step)"
sb list
sb show "$first"
sb check --now "2026-12-07T16:00:00+07:00" || true   # exit 1 would mean a breach

step "Anyone with the repository and the trust anchor proves the whole history offline"
sb verify
git -C "$ws" log --format='%h %s' | head -20

step "Queued notices go out exactly once: the rejection to Budi, the approval to the operator"
sb notify
sb notify   # nothing left to send

step "The operator checks who gets what, then what would be sent (nothing leaves, nothing is written)"
export SMS_BCAST_NOW="2026-12-07T15:30:00+07:00" SMS_BCAST_KEY="$keys/operator.key"
sb preview "$first"
sb send "$first" --dry-run

step "The operator sends it through the default gateway, the embedded outbox (a Gammu SMSD spool)"
# The claim is committed before the first message; the sent record and the
# per-recipient results after the last one. No gateway configuration is needed.
sb send "$first"

step "The request is sent, and the whole history still verifies"
sb list
sb verify
git -C "$ws" log --format='%h %s' -3

echo "Outbox spool (one file per message, Gammu SMSD 'files' format): $ws/.sms-bcast/outbox"
ls "$ws/.sms-bcast/outbox"
