camp-unreachable = 无法触达（账号未激活）
camp-preview-unreachable = 其中 { $n } 人暂时无法触达：尚未激活账号，也没有其他渠道。他们计入受众，但不计为已送达。
appraisal-unreachable = 其中 { $n } 人无法触达（账号未激活）
