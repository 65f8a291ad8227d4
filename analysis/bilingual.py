"""Every header, heading and fixed phrase the evidence shows, Chinese with English beside, defined once.

The workbook's sheets, the page's tables and headings, findings.json and the console
summary all take their wording from here, so a header reads the same in every output
(and a change is made once). Labels of values (severity, PII types, SDKs) and the
sentences built from a finding are in ``analysis.labels``.
"""

from __future__ import annotations


def both(zh: str, en: str) -> str:
    """'中文 / English', the form of every header."""
    return f"{zh} / {en}"


# -- columns shared by several tables -----------------------------------------------
TIME = both("时间", "Time")
EPOCH = both("纪元秒", "Epoch (s)")
FLOW_ID = both("流量编号", "Flow ID")
EVENT_ID = both("事件编号", "Event ID")
PII_TYPE = both("个人信息类型", "PII type")
ACTOR = both("行为主体", "Actor (SDK or app)")
HOST = both("主机", "Host")
HOST_HEADER = both("Host请求头", "Host header")
PARTY = both("主体类别", "Party")
PARTY_REASON = both("归属依据", "Attribution reason")
KIND = both("类型", "Kind")
PROCESS = both("进程", "Process")
DETAIL = both("详情", "Detail")
STATUS = both("状态", "Status")
VALUE_SHA = both("值SHA-256", "Value SHA-256")
VALUE_MASKED = both("值（已脱敏）", "Value (masked)")
VALUE_REVEALED = both("值（明文）", "Value (revealed)")
BEFORE = both("同意前", "Before consent")
URL, API = "URL", "API"


def value_header(reveal: bool) -> str:
    return VALUE_REVEALED if reveal else VALUE_MASKED


# -- Findings -----------------------------------------------------------------------
NUMBER = both("编号", "No.")
RULE_ID = both("规则编号", "Rule ID")
CATEGORY = both("类别", "Category")
TITLE_ZH = both("中文标题", "Title (zh)")
TITLE_EN = both("英文标题", "Title (en)")
LEGAL_BASIS = both("法律依据", "Legal basis")
SEVERITY = both("严重程度", "Severity")
FIRST_TIME = both("首次时间", "First time")
FIRST_EPOCH = both("首次时间（纪元秒）", "First (epoch s)")
FLOW_IDS = both("流量证据", "Flow IDs")
EVENT_IDS = both("事件证据", "Event IDs")
READ_SENT = both("读取→发送", "Read → sent")
NOTES = both("说明", "Notes")

# -- Findings per rule ----------------------------------------------------------------
FINDINGS_COUNT = both("发现数", "Findings")
REASON = both("说明", "Reason")

# -- Flows ----------------------------------------------------------------------------
METHOD = both("方法", "Method")
HTTP_STATUS = both("状态码", "Status")
DIRECTION = both("方向", "Direction")
LOCATION = both("位置", "Location")
ENCODING = both("编码", "Encoding")
MATCH_SOURCE = both("匹配来源", "Match source")
ATTRIBUTED_SDK = both("归属SDK", "Attributed SDK")
REQUEST_SHA = both("请求SHA-256", "Request SHA-256")
RESPONSE_SHA = both("响应SHA-256", "Response SHA-256")

# -- Sent by SDK (endpoint field maps) --------------------------------------------------
SDK = both("发送方SDK", "SDK")
ENDPOINT = both("接口", "Endpoint")
DATA_KIND = both("数据类型", "Kind")
ATTRIBUTE = both("设备/环境属性", "Device or context attribute")
FIELD = both("字段", "Field")
FLOW_COUNT = both("流量数", "Flows")
DT_CONSENT = both("距同意时刻（秒）", "Δt to consent (s)")
FIELD_SOURCE = both("字段依据", "Field documented by")
SENT_BY_SDK_SHEET = "SDK发送的数据 (Sent by SDK)"   # a sheet name may not hold '/'
SENT_BY_SDK_HEADING = both("SDK发送的数据", "Sent by SDK")
SENT_BY_SDK_NOTE = both("按已知接口字段（端点字段映射）识别，无需设备档案；设备/环境属性不单独构成发现",
                        "found by the endpoint field maps of known SDK endpoints, no device profile needed; "
                        "device and context attributes never make a finding on their own")
NO_SENT_BY_SDK = both("未识别到已知SDK接口字段", "no field of a known SDK endpoint seen")
DOCUMENTED_FIELD = both("文档字段", "documented field")

# -- API events -----------------------------------------------------------------------
CALLER_SDK = both("调用方SDK", "Caller SDK")
THREAD = both("线程", "Thread")
CLOCK_ERROR = both("时钟误差 ms", "Clock error (ms)")
DEVICE_TIME = both("设备时间 ms", "Device time (ms)")
STACK = both("调用栈摘录", "Stack excerpt")

# -- Timeline -------------------------------------------------------------------------
STREAM = both("来源", "Stream")
API_OR_URL = both("接口或请求", "API or URL")

# -- Hooks ----------------------------------------------------------------------------
HOOK = both("钩子", "Hook")
CLASS = both("类", "Class")
OVERLOAD = both("重载", "Overload")
LIVE_AT = both("生效时间", "Live at")
LIVE_EPOCH = both("生效（纪元秒）", "Live (epoch s)")
ERROR = both("错误", "Error")

# -- Summary --------------------------------------------------------------------------
ITEM, VALUE = both("项目", "Item"), both("值", "Value")
REPORT = both("报告", "Report")
SESSION = both("会话", "Session")
APP = "App"
APP_TYPE = both("App类型", "App type")
APP_VERSION = both("应用版本", "App version")
APK_SHA256 = both("安装包SHA-256", "APK SHA-256")
SIGNING_CERTIFICATES = both("签名证书SHA-256", "Signing certificates (SHA-256)")
SDK_LEVELS = both("SDK版本要求", "SDK levels")
IDENTITY_SOURCE = both("身份来源", "Identity source")
TESTER = both("测试人员", "Tester")
TEST_DATE = both("测试时间", "Test date")
RECORDED_ZONE = both("记录机时区", "Recording machine's zone")
DEVICE = both("设备", "Device")
DEVICE_BUILD = both("设备版本号", "Device build")
CONSENT_TIME = both("同意时刻", "Consent time")
CONSENT_EPOCH = both("同意时刻（纪元秒）", "Consent (epoch s)")
CONSENT_DECISION = both("同意判定", "Consent decision")
CONSENT_SOURCE = both("同意来源", "Consent source")
CONSENT_EVIDENCE = both("同意证据", "Consent evidence")
PRIVACY_NOTICE = both("隐私弹窗", "Privacy notice")
DECLINED = both("拒绝", "Declined")
SCOPE = both("范围文件", "Scope")
COUNTS = both("统计", "Counts")
TESTER_OBSERVATIONS = both("测试人员观察", "Tester observations")
CLOCKS = both("时钟", "Clocks")
TIME_ZONE = both("时区", "Time zone")
VALUES_SHOWN = both("值显示", "Values")
VERSIONS = both("工具版本", "Versions")
HOOKS_READY = both("钩子就绪", "Hooks ready")
HOOK_COVERAGE = both("钩子覆盖", "Hook coverage")
RESULT = both("结论", "Result")
NOTE = both("说明", "Note")
RULE_FAILED = both("规则失败", "Rule failed")
ROWS_LEFT_OUT = both("未写入的行", "Rows left out")

# -- headings and phrases -------------------------------------------------------------
TITLE = both("个人信息合规审计报告", "PII compliance audit report")
EVIDENCE_TITLE = both("个人信息合规审计证据", "PII compliance audit evidence")
SUMMARY_HEADING = both("概要", "Summary")
PER_RULE_HEADING = both("各规则发现数", "Findings per rule")
FINDINGS_HEADING = both("发现", "Findings")
HOOKS_HEADING = both("钩子覆盖", "Hooks")
TIMELINE_HEADING = both("时间线", "Timeline")
EVIDENCE = both("证据", "Evidence")
FIRST = both("首次", "first")
PARAPHRASE = f"（{both('要旨', 'paraphrase')}）"
EMPTY_SESSION = both("会话为空：没有流量、钩子事件或同意标记，无可分析内容",
                     "the session is empty: no flows, hook events or consent marks — nothing to analyse")
NO_FINDINGS = both("未发现问题", "no findings")
NO_HOOK_EVENTS = both("未记录钩子覆盖事件", "no hook coverage events recorded")
TRUNCATED = " …[truncated / 已截断]"

# -- the session's own state (analysis.sessionstate) ------------------------------------
SESSION_STATE = both("会话状态", "Session state")
PARTIAL_SESSION = both("不完整的会话", "partial session")
COMPLETE_SESSION = both("完整：每次记录均正常结束", "complete: every recording ended cleanly")
ACCOUNTING = both("记录核算", "Accounting")
ACCOUNTING_SHEET = "Accounting"
STAGE = both("阶段", "Stage")
OUTCOME = both("结果", "Outcome")
WHAT = both("对象", "What")
COUNT = both("数量", "Count")
ACCEPTED_CHANGES = both("已接受的改动", "Changes accepted")

# -- the page (analysis.htmlpage, analysis.timelinechart) ---------------------------------
APP_IDENTITY = both("被测应用", "App under test")
CONSENT_HEADING = both("隐私政策同意", "Consent to the privacy policy")
COUNTS_HEADING = both("各类别与严重程度的发现数", "Findings per category and severity")
TOTAL = both("合计", "Total")
SESSION_DETAILS = both("会话详情", "Session details")
ROLE = both("角色", "Role")
ROLES = {"read": both("读取", "read"), "send": both("发送", "send"), "event": both("事件", "event"),
         "tester": both("测试员观察", "tester's observation"), "manifest": both("清单声明", "manifest entry"),
         "context": both("背景", "context")}
SOURCE_ROW = both("证据行", "Evidence row")
WHAT_ROW = both("内容", "What")
DT_REFUSAL = both("距拒绝时刻（秒）", "Δt to refusal (s)")
MORE_EVIDENCE = "另有 {n} 行证据见 evidence.xlsx / {n} more evidence rows in evidence.xlsx"
SCREENSHOTS = both("截图", "Screenshots")
LEGAL_BASIS_HEADING = both("法律依据", "Legal basis")
CHART_CONSENT = both("同意", "consent")
CHART_DECLINED = both("拒绝", "refused")
CHART_READ = both("读取个人信息", "PII read")
CHART_SEND = both("发送个人信息", "PII sent")
CHART_PERMISSION = both("权限申请", "permission prompt")
CHART_REQUEST = both("无个人信息的请求", "request without PII")
CHART_EVENT = both("其他钩子事件", "other hook event")
CHART_NOTE = both("悬停标记可查看名称；点击跳转至附录中的对应行",
                  "hover over a mark to name it; click it to jump to its row in the appendix")
CHART_LEFT_OUT = "图中省略了 {n} 个标记（完整时间线见 evidence.xlsx）/ {n} marks left out (the full timeline is in evidence.xlsx)"
APPENDIX = both("附录", "Appendix")
ALL_FLOWS = both("全部流量", "All flows")
ALL_EVENTS = both("全部钩子事件", "All hook events")
MANIFEST_HEADING = both("清单", "Manifest")
ARTIFACTS = both("文件及其SHA-256（manifest.json）", "Files and their SHA-256 (manifest.json)")
FILE = both("文件", "File")
BYTES = both("字节", "Bytes")
APP_MANIFEST = both("应用清单（AndroidManifest.xml）", "The app's manifest (AndroidManifest.xml)")
PERMISSIONS_DECLARED = both("声明的权限", "Declared permissions")
COMPONENTS = both("组件", "Components")
CHARS = "{n} 字符 / chars"
ROWS = "{n} 行 / rows"
PAGE = both("页", "page")
