-- bench/site/search.lua — the site search rows of bench/site/run.
-- wrk ... -s search.lua URL -- MODE NTHREADS [START]
--   repeated: the same 60 one-word queries, cycled (after the first pass
--             every answer can come from the result cache);
--   distinct: two different words and a page (1-5) per request, never the
--             same key twice in fewer than 60*59*5 = 17,700 requests from
--             START (each round of bench/site/run starts past the last
--             one's), so every answer runs the search (no cache can help).
-- Every word is in the benchmark's articles (the same paragraphs,
-- rotated), so each query finds about a hundred of them and renders ten
-- hits with snippets. done() prints the x-search-cache answers counted.
local words = {
  "人脈", "発信", "読者", "関係", "名刺", "交換", "交流会", "情報", "知識", "経験",
  "専門", "分野", "継続", "具体的", "仲間", "候補", "登録", "感想", "質問", "返事",
  "丁寧", "相談", "出版", "募集", "採用", "信頼", "記事", "記録", "感謝", "紹介",
  "近況", "勉強会", "挑戦", "成長", "距離", "刺激", "無料", "利害", "共有", "一年",
  "顔ぶれ", "話題", "裏話", "協力者", "可能性", "活動", "関心", "熱心", "購読", "対話",
  "見直し", "メール", "メールマガジン", "ブログ", "セミナー", "SNS", "フォーム", "メディア",
  "テーマ", "習慣",
}
local threads, nthreads_seen = {}, 0
local mode, nthreads, start, i = "repeated", 1, 0, 0
hits, misses = 0, 0 -- globals: done() reads them with thread:get

function setup(thread)
  thread:set("tid", nthreads_seen)
  nthreads_seen = nthreads_seen + 1
  table.insert(threads, thread)
end

function init(args)
  mode = args[1] or "repeated"
  nthreads = tonumber(args[2] or "1")
  start = tonumber(args[3] or "0")
end

local function enc(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

function request()
  local n, q, page = #words, nil, 1
  if mode == "repeated" then
    q = words[(i + tid * 31) % n + 1]
  else
    local k = start + i * nthreads + tid
    local a, b = k % n, math.floor(k / n) % (n - 1)
    if b >= a then b = b + 1 end
    page = math.floor(k / (n * (n - 1))) % 5 + 1
    q = words[a + 1] .. " " .. words[b + 1]
  end
  i = i + 1
  local path = "/search?q=" .. enc(q)
  if page > 1 then path = path .. "&page=" .. page end
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if headers["x-search-cache"] == "hit" then hits = hits + 1 else misses = misses + 1 end
end

function done(summary, latency, requests)
  local h, m = 0, 0
  for _, t in ipairs(threads) do
    h = h + (t:get("hits") or 0)
    m = m + (t:get("misses") or 0)
  end
  io.write(string.format("search-cache hits=%d misses=%d\n", h, m))
end
