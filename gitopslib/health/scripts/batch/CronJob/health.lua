-- Health of a batch/v1 CronJob. Written for gitopslib from Argo CD's documented rules:
-- a suspended CronJob is reported Healthy (argo-cd#24428), a running job is not judged,
-- and a last successful run older than the last scheduled run means the last run failed.
local function deleting(meta)
  if meta == nil or meta.deletionTimestamp == nil then return nil end
  local finalizers = meta.finalizers or {}
  if #finalizers == 0 then return {status = "Progressing", message = "Pending deletion"} end
  return {
    status = "Progressing",
    message = "Pending deletion; blocked by finalizers: " .. table.concat(finalizers, ", "),
  }
end

local pending = deleting(obj.metadata)
if pending then return pending end

if obj.spec ~= nil and obj.spec.suspend == true then
  return {status = "Healthy", message = "CronJob is Suspended"}
end

local st = obj.status
if st == nil then
  return {status = "Progressing", message = "Waiting for CronJob"}
end

local scheduled, succeeded = st.lastScheduleTime, st.lastSuccessfulTime
if scheduled == nil then
  -- a missed schedule cannot be told apart from "not due yet"
  return {status = "Healthy", message = "CronJob has not been scheduled yet"}
end
if succeeded == nil then
  return {status = "Healthy", message = "The CronJob never completed successfully. It may not be healthy"}
end
if st.active ~= nil and #st.active > 0 then
  return {status = "Healthy", message = "The job is running. Its last execution may not have been successful"}
end
-- RFC 3339 timestamps in UTC compare correctly as strings
if succeeded < scheduled then
  return {status = "Degraded", message = "CronJob has not completed its last execution successfully"}
end
return {status = "Healthy", message = "CronJob has completed its last execution successfully"}
