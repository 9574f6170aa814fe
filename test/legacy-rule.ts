// The rule a detection engineer adds in the rule tests: a sign-in over a legacy
// protocol (IMAP, POP, SMTP AUTH: no MFA possible) from an IP a sensor alerted on.
// A base rule and a correlation in one file (two YAML documents), using the
// built-in base rule `network_alert`: run with --rules builtin --rules DIR.
export const LEGACY_RULE = `
title: Legacy protocol sign-in
id: local-legacy-protocol-signin
name: legacy_protocol_signin
description: A successful sign-in over IMAP, POP or SMTP AUTH (no MFA possible).
logsource:
  product: azure
  service: signinlogs
detection:
  legacy:
    client.client_app:
      - IMAP4
      - POP3
      - Authenticated SMTP
  success:
    event.outcome: success
  condition: legacy and success
level: medium
---
title: Legacy Protocol Sign-in After Network Alert
id: local-legacy-protocol-signin-after-network-alert
description: A successful sign-in over IMAP, POP or SMTP AUTH (no MFA possible) from an IP a network sensor alerted on shortly before.
level: critical
tags:
  - attack.initial-access
  - attack.t1078
correlation:
  type: temporal_ordered
  rules:
    - network_alert
    - legacy_protocol_signin
  group-by:
    - source.ip
  timespan: 8h
crosswatch:
  risk_score: 91
  verb: signed in over a legacy protocol
  threat:
    framework: MITRE ATT&CK
    tactic: { id: TA0001, name: Initial Access, reference: "https://attack.mitre.org/tactics/TA0001/" }
    technique: { id: T1078, name: Valid Accounts, reference: "https://attack.mitre.org/techniques/T1078/" }
  guide: |
    Legacy protocols cannot do MFA: check the user's password and block legacy authentication.
`;
