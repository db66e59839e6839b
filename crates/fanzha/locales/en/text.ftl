# Hygiene of names and titles (crate::text).
text-err-control = The text contains a control character (such as NUL or a line break); remove it.
text-err-bidi = The text contains a text-direction override or isolate character (U+202A–U+202E, U+2066–U+2069); remove it.
text-err-invisible = The text is made only of invisible characters (zero-width spaces, BOM…); type a visible name.
text-err-control-line = line { $line }, column “{ $column }”: contains a control character (such as NUL); remove it
text-err-bidi-line = line { $line }, column “{ $column }”: contains a text-direction override or isolate character; remove it
text-err-invisible-line = line { $line }, column “{ $column }”: is made only of invisible characters
