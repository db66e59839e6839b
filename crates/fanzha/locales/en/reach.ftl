camp-unreachable = Cannot be reached (no active account)
camp-preview-unreachable = Of these, { $n } cannot be reached yet: they have not activated their account and have no outside channel. They count in the audience, never as delivered.
appraisal-unreachable = { $n } not reachable (no active account)
