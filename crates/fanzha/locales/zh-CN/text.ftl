# 名称与标题的文本检查(crate::text)。
text-err-control = 文本含有控制字符(如 NUL 或换行),请删除。
text-err-bidi = 文本含有文字方向覆盖或隔离字符(U+202A–U+202E、U+2066–U+2069),请删除。
text-err-invisible = 文本只由不可见字符(零宽空格、BOM 等)组成,请填写可见的名称。
text-err-control-line = 第 { $line } 行“{ $column }”列:含有控制字符(如 NUL),请删除
text-err-bidi-line = 第 { $line } 行“{ $column }”列:含有文字方向覆盖或隔离字符,请删除
text-err-invisible-line = 第 { $line } 行“{ $column }”列:只由不可见字符组成
