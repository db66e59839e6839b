-- wrk script for the risk-check HTTP benchmark (docs/BENCHMARKS.md):
--   TOKEN=fz_... wrk -t2 -c100 -d10s --latency -s wrk_risk_check.lua http://127.0.0.1:8099/api/v1/risk/check
-- One ~100-character message per request, the way a messaging bot would ask.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("TOKEN") or "")
wrk.body = '{"text":"【京东客服】您好,您购买的商品存在质量问题,我们将为您办理双倍赔付,请添加客服微信 tb_kefu888 并打开链接 http://jd-refund.top/claim 填写银行卡信息和验证码完成退款。"}'
