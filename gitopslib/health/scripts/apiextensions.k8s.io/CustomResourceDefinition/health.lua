-- Health of an apiextensions.k8s.io/v1 CustomResourceDefinition. Written for gitopslib from
-- Argo CD's documented rules: Terminating wins, then rejected names, then a missing
-- Established condition, then a non-structural schema. The message quotes the last of these
-- conditions that was seen, as Argo CD's does.
if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  return {status = "Progressing", message = "CRD is terminating"}
end

local conditions = obj.status ~= nil and obj.status.conditions or nil
if conditions == nil or #conditions == 0 then
  return {status = "Progressing", message = "Status conditions not found"}
end

local seen = {}
local quoted = ""
local watched = {
  Terminating = "True",
  NamesAccepted = "False",
  Established = "True",
  NonStructuralSchema = "True",
}
for _, cond in pairs(conditions) do
  local want = watched[cond.type]
  if want ~= nil and cond.status == want then
    seen[cond.type] = true
    quoted = cond.message or ""
  end
end

if seen.Terminating then
  return {status = "Progressing", message = "CRD is terminating: " .. quoted}
end
if seen.NamesAccepted then
  return {status = "Degraded", message = "CRD names have not been accepted: " .. quoted}
end
if not seen.Established then
  return {status = "Degraded", message = "CRD is not established"}
end
if seen.NonStructuralSchema then
  return {status = "Degraded", message = "Schema violations found: " .. quoted}
end
return {status = "Healthy", message = "CRD is healthy"}
