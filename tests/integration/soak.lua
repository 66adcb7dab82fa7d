-- wrk script of test_soak.py: each wrk thread cycles through the request kinds that test_soak.py passes
-- (one of each in turn, on whichever of its connections is ready), stops itself after a number of answers,
-- and tallies every answer by what it is, so that the test can match the answers with the requests sent.
--
--   wrk ... -s soak.lua URL -- LIMIT SAMPLE_EVERY DONE_DIR NAME METHOD PATH CONTENT_TYPE BODY [NAME ...]
--
-- LIMIT: answers per thread, then wrk.thread:stop() (wrk itself only knows durations). A stopped thread
-- sends nothing more, but wrk's main thread still sleeps out its -d duration, so each thread also creates
-- DONE_DIR/thread-ID when it stops: once all are there, test_soak.py ends wrk with SIGINT, which wakes that
-- sleep, and done() runs. SAMPLE_EVERY: every that many signatures, one token is kept for the test to
-- verify with HMAC. Each kind is 5 arguments; CONTENT_TYPE and BODY are "-" for none (a GET has no body
-- and so no Content-Length).
--
-- An answer is tallied as "STATUS/WHAT": WHAT is "signature" for {"signature":...}, "health" for the
-- health body, the first error's property for sdksign's {"errors":[{"property":...}]} bodies, and "other"
-- for anything else (a web server's own HTML error page, say), whose first few are kept for the report.
-- done() prints one SOAK-* line per thread and per sampled token for test_soak.py to parse.

local threads = {}

function setup(thread)
    table.insert(threads, thread)
    thread:set("id", #threads)
end

function init(args)
    limit = tonumber(args[1])
    sample_every = tonumber(args[2])
    done_dir = args[3]
    requests, names, sent = {}, {}, {}
    local i = 4
    while args[i] do
        local name, method, path, content_type, body = args[i], args[i + 1], args[i + 2], args[i + 3], args[i + 4]
        local headers = {}
        if content_type ~= "-" then
            headers["Content-Type"] = content_type
        end
        if body == "-" then
            body = nil
        end
        table.insert(requests, wrk.format(method, path, headers, body))
        table.insert(names, name)
        sent[name] = 0
        i = i + 5
    end
    next_kind = 0
    received = 0
    signatures = 0
    answers = {}
    tokens = {}
    unexpected = {}
end

function request()
    next_kind = next_kind % #requests + 1
    local name = names[next_kind]
    sent[name] = sent[name] + 1
    return requests[next_kind]
end

local function what(status, body)
    if status == 200 then
        local token = body:match('^{"signature":"([^"]+)"')
        if token then
            signatures = signatures + 1
            if signatures % sample_every == 1 then
                table.insert(tokens, token)
            end
            return "signature"
        end
        if body:find('^{"status":"ok"') then
            return "health"
        end
        return "other"
    end
    return body:match('^{"errors":%[{"property":"([^"]*)"') or "other"
end

function response(status, headers, body)
    received = received + 1
    local key = status .. "/" .. what(status, body)
    answers[key] = (answers[key] or 0) + 1
    if key:find("/other$") and #unexpected < 3 then
        table.insert(unexpected, status .. " " .. body:sub(1, 120):gsub("%s+", " "))
    end
    if received == limit then
        local marker = assert(io.open(done_dir .. "/thread-" .. id, "w"))
        marker:close()
        wrk.thread:stop()
    end
end

local function joined(counts)
    local parts = {}
    for key, count in pairs(counts) do
        table.insert(parts, key .. "=" .. count)
    end
    table.sort(parts)
    return table.concat(parts, ",")
end

function done(summary, latency, requests)
    local errors = summary.errors
    io.write(string.format("SOAK-SUMMARY requests=%d duration_us=%d connect=%d read=%d write=%d timeout=%d\n",
        summary.requests, summary.duration, errors.connect, errors.read, errors.write, errors.timeout))
    for _, thread in ipairs(threads) do
        io.write(string.format("SOAK-THREAD id=%d received=%d sent=%s answers=%s\n", thread:get("id"),
            thread:get("received"), joined(thread:get("sent")), joined(thread:get("answers"))))
        for _, token in ipairs(thread:get("tokens")) do
            io.write("SOAK-TOKEN " .. token .. "\n")
        end
        for _, text in ipairs(thread:get("unexpected")) do
            io.write("SOAK-UNEXPECTED " .. text .. "\n")
        end
    end
end
