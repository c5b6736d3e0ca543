metadata name = 'ExpressRoute gateway'
metadata description = 'A zone-redundant ExpressRoute gateway with its Standard, Static, zoned public IP.'

@export()
@description('The hub ExpressRoute gateway.')
type expressRouteGatewayType = {
  @description('Required. Name of the gateway.')
  name: string

  @description('Required. Gateway SKU.')
  sku: 'ErGw1AZ' | 'ErGw2AZ' | 'ErGw3AZ'

  @description('Required. Name of the gateway\'s public IP.')
  publicIpName: string
}

@description('Required. Name of the ExpressRoute gateway.')
param name string

@description('Required. Azure region of the gateway and its public IP.')
param location string

@description('Optional. Tags put on the gateway and its public IP.')
param tags object = {}

@description('Required. Gateway SKU.')
param sku 'ErGw1AZ' | 'ErGw2AZ' | 'ErGw3AZ'

@description('Required. Name of the public IP.')
param publicIpName string

@description('Required. Resource ID of the GatewaySubnet the gateway lives in.')
param gatewaySubnetResourceId string

module publicIp 'public-ip.bicep' = {
  name: 'pip-${uniqueString(deployment().name, publicIpName)}'
  params: {
    name: publicIpName
    location: location
    tags: tags
  }
}

resource gateway 'Microsoft.Network/virtualNetworkGateways@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    gatewayType: 'ExpressRoute'
    sku: {
      name: sku
      tier: sku
    }
    ipConfigurations: [
      {
        name: 'ipconfig1'
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
  }
}

@description('Resource ID of the ExpressRoute gateway.')
output resourceId string = gateway.id

@description('Name of the ExpressRoute gateway.')
output name string = gateway.name
