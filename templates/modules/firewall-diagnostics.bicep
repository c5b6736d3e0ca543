metadata name = 'Azure Firewall diagnostics'
metadata description = 'Sends the firewall\'s logs to a Log Analytics workspace in resource-specific tables (AZFWNetworkRule and friends): an existing workspace, or one created here.'

@export()
@description('Where the firewall\'s logs go.')
type firewallDiagnosticsType = {
  @description('Optional. Resource ID of an existing Log Analytics workspace; empty to create one.')
  workspaceResourceId: string

  @description('Optional. Name of the workspace to create when workspaceResourceId is empty.')
  workspaceName: string

  @description('Required. Retention of a created workspace, in days.')
  retentionInDays: int

  @description('Required. Log categories sent to the workspace.')
  categories: string[]

  @description('Optional. Category groups sent to the workspace (allLogs, audit), as a running setting names them.')
  categoryGroups: string[]?

  @description('Required. Name of the diagnostic setting on the firewall.')
  settingName: string

  @description('Required. Resource-specific tables (Dedicated); false: the legacy AzureDiagnostics table.')
  resourceSpecificTables: bool

  @description('Required. Send the firewall\'s metrics too.')
  metrics: bool
}

@description('Required. Name of the firewall.')
param firewallName string

@description('Required. Name of the diagnostic setting on the firewall.')
param settingName string

@description('Required. Azure region of a created workspace.')
param location string

@description('Optional. Tags put on a created workspace.')
param tags object = {}

@description('Optional. Resource ID of an existing Log Analytics workspace; empty to create one named workspaceName.')
param workspaceResourceId string = ''

@description('Optional. Name of the workspace to create when workspaceResourceId is empty.')
param workspaceName string = ''

@description('Optional. Retention of a created workspace, in days (30-730).')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Required. Log categories sent to the workspace: resource-specific tables of the same names.')
param categories string[]

@description('Optional. Category groups sent to the workspace (allLogs, audit), besides the categories.')
param categoryGroups string[] = []

@description('Optional. Resource-specific tables (Dedicated); false: the legacy AzureDiagnostics table.')
param resourceSpecificTables bool = true

@description('Optional. Send the firewall\'s metrics (AllMetrics) too.')
param metrics bool = false

var createWorkspace = empty(workspaceResourceId)

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-02-01' = if (createWorkspace) {
  // ARM checks the name of a resource even when its condition is false: never empty.
  name: createWorkspace ? workspaceName : 'not-created'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource firewall 'Microsoft.Network/azureFirewalls@2025-05-01' existing = {
  name: firewallName
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: firewall
  properties: {
    workspaceId: createWorkspace ? workspace.id : workspaceResourceId
    // Resource-specific tables (AZFWNetworkRule, ...) rather than the legacy AzureDiagnostics table.
    logAnalyticsDestinationType: resourceSpecificTables ? 'Dedicated' : null
    logs: concat(
      map(categories, category => {
        category: category
        enabled: true
      }),
      map(categoryGroups, group => {
        categoryGroup: group
        enabled: true
      })
    )
    metrics: metrics
      ? [
          {
            category: 'AllMetrics'
            enabled: true
          }
        ]
      : []
  }
}

@description('Resource ID of the workspace the logs go to.')
output workspaceResourceId string = createWorkspace ? workspace.id : workspaceResourceId
