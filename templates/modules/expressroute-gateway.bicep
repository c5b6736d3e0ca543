metadata name = 'ExpressRoute gateway'
metadata description = 'An ExpressRoute gateway (zone-redundant AZ SKU or ErGwScale; a running legacy SKU kept) with its Standard, Static public IP.'

@export()
@description('The hub ExpressRoute gateway.')
type expressRouteGatewayType = {
  @description('Required. Name of the gateway.')
  name: string

  @description('Required. Gateway SKU: an AZ SKU or ErGwScale; a legacy SKU only for a gateway that runs already.')
  sku: 'ErGw1AZ' | 'ErGw2AZ' | 'ErGw3AZ' | 'ErGwScale' | 'Standard' | 'HighPerformance' | 'UltraPerformance'

  @description('Required. Name of the gateway\'s public IP.')
  publicIpName: string

  @description('Required. Availability zones of the public IP (none for a legacy SKU or a region without zones).')
  publicIpZones: string[]

  @description('Optional. Name of the IP configuration; default ipconfig1.')
  ipConfigurationName: string?

  @description('Optional. ErGwScale: the range of scale units it autoscales in.')
  scaleUnits: {
    @description('Required. Fewest scale units.')
    min: int

    @description('Required. Most scale units.')
    max: int
  }?
}

@description('Required. Name of the ExpressRoute gateway.')
param name string

@description('Required. Azure region of the gateway and its public IP.')
param location string

@description('Optional. Tags put on the gateway and its public IP.')
param tags object = {}

@description('Required. Gateway SKU.')
param sku 'ErGw1AZ' | 'ErGw2AZ' | 'ErGw3AZ' | 'ErGwScale' | 'Standard' | 'HighPerformance' | 'UltraPerformance'

@description('Required. Name of the public IP.')
param publicIpName string

@description('Optional. Availability zones of the public IP.')
param publicIpZones string[] = []

@description('Optional. Name of the IP configuration.')
param ipConfigurationName string = 'ipconfig1'

@description('Optional. ErGwScale: fewest and most scale units; null for the other SKUs.')
param scaleUnits { min: int, max: int }?

@description('Required. Resource ID of the GatewaySubnet the gateway lives in.')
param gatewaySubnetResourceId string

@description('Optional. What running resources carry that gen does not design, by resource type and name (the spec\'s asDeployed).')
param asDeployed object = {}

var kept = asDeployed[?resourceId('Microsoft.Network/virtualNetworkGateways', name)] ?? asDeployed[?'Microsoft.Network/virtualNetworkGateways/${name}'] ?? {}

module publicIp 'public-ip.bicep' = {
  name: 'pip-${uniqueString(deployment().name, publicIpName)}'
  params: {
    name: publicIpName
    location: location
    tags: tags
    zones: publicIpZones
    asDeployed: asDeployed
  }
}

resource gateway 'Microsoft.Network/virtualNetworkGateways@2025-05-01' = {
  name: name
  location: location
  tags: kept.?tags ?? tags
  properties: union(
    {
      gatewayType: 'ExpressRoute'
      // Written, not left out: a PUT without it turns it off on a gateway that runs with it on (gateways made before
      // May 2024 do). Off, the gateway drops the routes of other VNets it hears from the circuit's edge routers, so
      // traffic between hubs stays on their peering instead of hairpinning through the peering location
      // (https://learn.microsoft.com/azure/expressroute/expressroute-howto-add-gateway-portal-resource-manager#enable-or-disable-vnet-to-vnet-or-vnet-to-virtual-wan-traffic-through-expressroute).
      // A running value of true is kept through asDeployed.
      allowRemoteVnetTraffic: false
      sku: {
        name: sku
        tier: sku
      }
      autoScaleConfiguration: scaleUnits == null
        ? null
        : {
            bounds: {
              min: scaleUnits!.min
              max: scaleUnits!.max
            }
          }
      ipConfigurations: [
        {
          name: ipConfigurationName
          properties: {
            privateIPAllocationMethod: 'Dynamic'
            subnet: {
              id: gatewaySubnetResourceId
            }
            publicIPAddress: {
              id: publicIp.outputs.resourceId
            }
          }
        }
      ]
    },
    kept.?properties ?? {}
  )
}

@description('Resource ID of the ExpressRoute gateway.')
output resourceId string = gateway.id

@description('Name of the ExpressRoute gateway.')
output name string = gateway.name
