-- wrk: the benchmark's request, a web token for a participant, as a Meeting SDK web client sends it.
wrk.method = "POST"
wrk.body = '{"meetingNumber":"123456789","role":0,"expirationSeconds":7200}'
wrk.headers["Content-Type"] = "application/json"
