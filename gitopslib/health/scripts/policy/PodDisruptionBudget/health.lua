-- Health of a policy/v1 PodDisruptionBudget. Written for gitopslib from Argo CD's documented
-- rules: a False condition is Degraded unless its reason is InsufficientPods (a PDB that
-- cannot currently allow disruptions is often intended); any other condition is Healthy.
local meta = obj.metadata
if meta ~= nil and meta.deletionTimestamp ~= nil then
  local finalizers = meta.finalizers or {}
  if #finalizers > 0 then
    return {
      status = "Progressing",
      message = "Pending deletion; blocked by finalizers: " .. table.concat(finalizers, ", "),
    }
  end
  return {status = "Progressing", message = "Pending deletion"}
end

local verdict = {status = "Progressing", message = "Waiting for status"}
local conditions = (obj.status ~= nil and obj.status.conditions) or {}
for _, cond in ipairs(conditions) do
  local what = "PodDisruptionBudget has " .. tostring(cond.reason or "")
  if cond.status == "False" and cond.reason ~= "InsufficientPods" then
    return {status = "Degraded", message = what}
  end
  verdict = {status = "Healthy", message = what}
end
return verdict
