# Volunteers: the leaderboards by period (classes) and the stored standings.
vol-class = Class
vol-lb-period-classes = Classes this period
vol-lb-period-people = Volunteers this period
vol-lb-period-schools = Schools this period
