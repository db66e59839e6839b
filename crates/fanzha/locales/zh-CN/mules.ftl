## 断卡/帮信：银行与支付平台的涉诈账户信号、辅导员谈话、嫌疑人统计

nav-mules = 断卡行动
mule-kind = 涉嫌出借账户（帮信风险）
mule-title = 断卡行动：“两卡”与帮信风险
mule-intro = 银行、支付平台报告学生账户异常（涉嫌出租、出借、出售银行卡、电话卡、社交或支付账户）后，由包保责任人谈话劝阻；案件中的帮信/两卡嫌疑人单独统计。
mule-year = 年度
mule-unit = 单位代码
mule-unit-help = 留空：全部负责范围
mule-show = 查看
mule-signals-title = 帮信风险预警
mule-signals = 预警数
mule-open = 尚未处置
mule-in-time = 按时谈话
mule-outcome = 处置结果
mule-account = 账户类型
mule-suspects-title = 案件中的帮信/两卡嫌疑人
mule-suspects = 嫌疑人
mule-school = 学校
mule-account-lent = 出借的账户
mule-police-title = 无法对应到花名册的账户信号
mule-police-help = 这些信号中的人不在任何学校花名册上，仅供公安核查，学校看不到。
mule-police-none = 目前没有。
mule-received = 收到时间
mule-reported = 报告内容
mule-given = 合作方提供的身份
mule-rule-title = 无诈校园评选：嫌疑人规则
mule-rule-max = 一年内最多允许的帮信/两卡嫌疑人数
mule-rule-help = 0 表示：学校出现一名帮信嫌疑人即不具备评选资格（默认）。
mule-rule-save = 保存规则
mule-no-data = 暂无数据

mule-account-bank_card = 银行卡
mule-account-phone_card = 电话卡
mule-account-im_account = 微信/QQ 等社交账号
mule-account-payment_account = 支付账户或收款码

mule-pattern-large_flows = 大额资金快进快出
mule-pattern-frozen = 已被冻结为涉诈账户
mule-pattern-many_counterparties = 短时间内与大量陌生账户往来
mule-pattern-night_flows = 夜间集中、成批的资金流动（疑似跑分）
mule-pattern-remote_login = 异地或多设备登录（账户可能已在他人手中）
mule-pattern-other = 其他异常

mule-role-victim = 受害人
mule-role-suspect = 帮信/两卡嫌疑人
mule-role-both = 既是受害人也是嫌疑人
mule-case-role = 涉案身份
mule-case-lent = 出借的账户
mule-case-role-help = 学生出租、出借、出售银行卡、电话卡、社交或支付账户的，选择“嫌疑人”并注明账户类型。

mule-script-title = 谈话要点（帮信风险）
mule-script-1 = 当面或电话联系学生，说明银行/支付平台发现其账户有异常资金往来，不是指控，是提醒。
mule-script-2 = 讲清法律：明知他人利用信息网络实施犯罪，仍提供银行卡、电话卡、支付结算等帮助的，构成帮助信息网络犯罪活动罪（刑法第二百八十七条之二），最高可判三年有期徒刑，并处罚金；还会被惩戒，名下账户五年内受限。
mule-script-3 = 问清账户是否借给、租给或卖给了他人，是否参与“跑分”“刷流水”“代收款”。
mule-script-4 = 要求学生立即停止出借，收回或注销账户（银行卡去柜台挂失销户，电话卡去营业厅销号），修改密码。
mule-script-5 = 记录结果；学生拒绝或涉及大额资金的，移交公安。

mule-todo-title = 你的账户被报告有异常，请立即处理
mule-todo-intro = 银行或支付平台报告：你名下的账户出现了与诈骗资金有关的异常往来。出租、出借、出售银行卡、电话卡、微信/QQ、支付账户或收款码，帮别人“跑分”“刷流水”“代收款”，都可能构成帮信罪（刑法第二百八十七条之二），会留下犯罪记录。
mule-todo-1 = 立刻停止把账户借给任何人，不再替人收款、转账或刷脸验证。
mule-todo-2 = 收回账户：修改密码；银行卡到柜台挂失或销户，电话卡到营业厅销号。
mule-todo-3 = 你的辅导员会联系你，请如实说明情况，这是帮你止损。
mule-todo-4 = 有人威胁、催要账户或你已经拿了“好处费”，请马上报警。
mule-todo-call = 拨打 110

warn-outcome-stopped = 已停止出借
warn-outcome-card_closed = 账户已注销
warn-outcome-refused = 拒不配合
warn-outcome-referred_to_police = 已移交公安
warn-err-outcome-kind = 这个结果不适用于这类预警。

mule-err-refused = 信号内容有误，未接收。
mule-err-reference = 请填写合作方编号（1–100 个字符）。
mule-err-account = 账户类型“{ $value }”无法识别（银行卡、电话卡、社交账号、支付账户）。
mule-err-pattern = 异常类型“{ $value }”无法识别。
mule-err-school-needed = 按学号报告时请同时填写学校代码。
mule-err-role = 涉案身份“{ $value }”无法识别（受害人、嫌疑人、两者）。
mule-err-lent-needed = 嫌疑人请注明出借的账户类型。
mule-err-lent-victim = 仅为受害人时不填写出借的账户。
mule-err-max-suspects = 嫌疑人上限“{ $value }”应为 0 到 1000 的整数。
mule-err-year = 年度无效。
mule-briefing-suspects = 本月案件中的帮信/两卡嫌疑人（不计入受害人）
appraisal-c-mules = 帮信风险预警按时谈话
mule-analysis-suspects = 帮信/两卡嫌疑人（不计入以上案件）
