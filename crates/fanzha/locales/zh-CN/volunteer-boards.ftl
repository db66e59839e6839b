# 志愿服务:按时段的班级排行与积分累计。
vol-class = 班级
vol-lb-period-classes = 本时段班级排行
vol-lb-period-people = 本时段志愿者排行
vol-lb-period-schools = 本时段学校排行
