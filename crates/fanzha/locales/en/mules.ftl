## Money mules (断卡/帮信): bank and payment-platform signals, the counselor's talk, suspects

nav-mules = Money mules
mule-kind = Account lent out (money-mule risk)
mule-title = Money mules: bank cards, phone cards and accounts lent to fraud
mule-intro = When a bank or payment platform reports that a student's account is being rented, lent or sold to fraud groups, the responsible person talks to the student; students who are suspects in cases are counted separately.
mule-year = Year
mule-unit = Unit code
mule-unit-help = Empty: everything you answer for
mule-show = Show
mule-signals-title = Money-mule warnings
mule-signals = Warnings
mule-open = Not yet handled
mule-in-time = Talked to in time
mule-outcome = Outcome
mule-account = Kind of account
mule-suspects-title = Students who are suspects (帮信 / 两卡) in cases
mule-suspects = Suspects
mule-school = School
mule-account-lent = Account lent
mule-police-title = Account signals about nobody on a roster
mule-police-help = The people in these signals are on no school's roster. They are kept for the police to check; schools do not see them.
mule-police-none = None at the moment.
mule-received = Received
mule-reported = Reported
mule-given = Identity given by the partner
mule-rule-title = Campus Without Fraud: how suspects count
mule-rule-max = Most 帮信 / 两卡 suspects a school may have in a year
mule-rule-help = 0 means a school with one suspect is not eligible (the default).
mule-rule-save = Save the rule
mule-no-data = No data yet

mule-account-bank_card = Bank card
mule-account-phone_card = Phone card
mule-account-im_account = WeChat, QQ or another chat account
mule-account-payment_account = Payment account or payment code

mule-pattern-large_flows = Large amounts in and straight out again
mule-pattern-frozen = Frozen as an account used in fraud
mule-pattern-many_counterparties = Many unknown counterparties in a short time
mule-pattern-night_flows = Bursts of transfers at night ("running points")
mule-pattern-remote_login = Used from far away or many devices (the account may be in someone else's hands)
mule-pattern-other = Something else unusual

mule-role-victim = Victim
mule-role-suspect = Suspect (lent an account)
mule-role-both = Victim and suspect
mule-case-role = Role of the person
mule-case-lent = Account lent
mule-case-role-help = A student who rented, lent or sold a bank card, phone card, chat or payment account is a suspect; name the kind of account.

mule-script-title = What to say (money-mule risk)
mule-script-1 = Reach the student in person or by phone. Explain that the bank or payment platform saw unusual money on their account: this is a warning, not an accusation.
mule-script-2 = Explain the law: giving others a bank card, phone card or payment help while knowing they use it for crime online is the crime of helping information network criminal activities (Criminal Law art. 287-2), up to three years in prison and a fine; accounts in their name are also restricted for years.
mule-script-3 = Ask whether the account was lent, rented or sold, and whether they "ran points", "brushed turnover" or received money for others.
mule-script-4 = Ask them to stop lending the account now, take it back or close it (bank card at the counter, phone card at the carrier's shop) and change the passwords.
mule-script-5 = Record the outcome; if the student refuses or large sums are involved, refer to the police.

mule-todo-title = Your account was reported: act now
mule-todo-intro = A bank or payment platform reported unusual money on an account in your name, linked to fraud. Renting, lending or selling a bank card, phone card, WeChat/QQ or payment account or code, or "running points" and receiving money for others, can be the crime of helping information network criminal activities (帮信罪, Criminal Law art. 287-2) and leaves a criminal record.
mule-todo-1 = Stop lending the account to anyone; do not receive or send money or verify your face for others.
mule-todo-2 = Take the account back: change the passwords; report the bank card lost or close it at the counter, close the phone card at the carrier's shop.
mule-todo-3 = Your counselor will contact you. Tell them what happened: it is to help you stop it.
mule-todo-4 = If someone threatens you, asks for the account back, or you were paid for it, call the police now.
mule-todo-call = Call 110

warn-outcome-stopped = Stopped lending the account
warn-outcome-card_closed = Account closed
warn-outcome-refused = Refused to stop
warn-outcome-referred_to_police = Referred to the police
warn-err-outcome-kind = This outcome does not fit this kind of warning.

mule-err-refused = The signal has problems and was not received.
mule-err-reference = Give your reference (1–100 characters).
mule-err-account = "{ $value }" is not a kind of account (bank_card, phone_card, im_account, payment_account).
mule-err-pattern = "{ $value }" is not a known pattern.
mule-err-school-needed = With a student number, give the school code too.
mule-err-role = "{ $value }" is not a role (victim, suspect, both).
mule-err-lent-needed = For a suspect, name the kind of account lent.
mule-err-lent-victim = A victim only lent no account; leave it empty.
mule-err-max-suspects = "{ $value }" must be a whole number from 0 to 1000.
mule-err-year = That year is not valid.
mule-briefing-suspects = Suspects (帮信 / 两卡) in the month's cases, not counted as victims
appraisal-c-mules = Money-mule warnings handled in time
mule-analysis-suspects = Suspects (帮信 / 两卡), not in the cases above
